package io.catflap.client.api;

import io.catflap.client.ClientMetrics;
import io.catflap.client.Ingest;
import io.catflap.protocol.ProtocolException;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP on the API port: each valid packet is one write into the memory buffers (or the persistent log with flag 1). Bad
 * packets (short, wrong CRC, no table) and writes refused by a full buffer are dropped and counted
 * ({@code catflap_client_udp_dropped_total{reason}}): UDP has no way to answer.
 */
@ChannelHandler.Sharable
public final class UdpHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private static final Logger LOG = LoggerFactory.getLogger(UdpHandler.class);

    private final Ingest ingest;
    private final ClientMetrics metrics;

    public UdpHandler(Ingest ingest, ClientMetrics metrics) {
        this.ingest = ingest;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket datagram) {
        UdpPacket packet;
        try {
            packet = UdpPacket.parse(datagram.content());
        } catch (UdpPacket.BadPacketException e) {
            metrics.udpDropped(e.reason());
            LOG.debug("bad UDP packet from {}: {}", datagram.sender(), e.getMessage());
            return;
        }
        try {
            ingest.write(ingest.resolve(packet.table(), packet.rowBinary(), packet.persistent(), false, "udp"), packet.rows())
                    .whenComplete((v, err) -> {
                        if (err != null) {
                            metrics.udpDropped("refused");
                        }
                    });
        } catch (ProtocolException e) {
            metrics.udpDropped("bad_table");
        }
    }
}
