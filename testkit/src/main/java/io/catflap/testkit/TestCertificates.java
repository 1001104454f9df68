package io.catflap.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test CA and the certificates it signs, as PEM files in a directory: the CA certificate to trust, and for each
 * server or client a certificate with its PKCS#8 private key (the formats catflap and ClickHouse read). Server
 * certificates name {@code 127.0.0.1} and {@code localhost}, so clients that check the host name accept them.
 * EC P-256 keys: made in milliseconds.
 */
public final class TestCertificates {
    private static final Duration VALIDITY = Duration.ofDays(2);

    private final Path dir;
    private final KeyPair caKeys;
    private final X500Name caName = new X500Name("CN=catflap test CA");
    private final Path caFile;
    private final AtomicLong serial = new AtomicLong(1);

    /** A certificate and its private key, PEM files. */
    public record Pem(Path certificate, Path privateKey) {
    }

    private TestCertificates(Path dir) {
        this.dir = dir;
        this.caKeys = keyPair();
        this.caFile = write("ca.crt", "CERTIFICATE", encoded(sign(caName, caKeys, true, null)));
    }

    /** A new CA whose certificate is written to {@code dir/ca.crt}. */
    public static TestCertificates create(Path dir) {
        return new TestCertificates(dir);
    }

    /** The CA certificate (PEM), for trust stores and client-certificate checks. */
    public Path ca() {
        return caFile;
    }

    /** A JDK TLS context that trusts this CA only, for test clients (e.g. {@code HttpClient.Builder.sslContext}). */
    public SSLContext trustingContext() {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + caFile, e);
        }
    }

    /** A server certificate with subject {@code CN=cn}, valid for {@code 127.0.0.1} and {@code localhost}. */
    public Pem server(String cn) {
        return leaf(cn, KeyPurposeId.id_kp_serverAuth);
    }

    /** A client certificate with subject {@code CN=cn}. */
    public Pem client(String cn) {
        return leaf(cn, KeyPurposeId.id_kp_clientAuth);
    }

    private Pem leaf(String cn, KeyPurposeId purpose) {
        KeyPair keys = keyPair();
        X509Certificate cert = sign(new X500Name("CN=" + cn), keys, false, purpose);
        String name = cn.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + cert.getSerialNumber();
        return new Pem(write(name + ".crt", "CERTIFICATE", encoded(cert)),
                write(name + ".key", "PRIVATE KEY", keys.getPrivate().getEncoded()));
    }

    private X509Certificate sign(X500Name subject, KeyPair keys, boolean ca, KeyPurposeId purpose) {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caName,
                BigInteger.valueOf(serial.getAndIncrement()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        new GeneralName(GeneralName.dNSName, "localhost")}));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a test certificate", e);
        }
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path write(String name, String type, byte[] der) {
        String pem = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        try {
            return Files.writeString(dir.resolve(name), pem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
