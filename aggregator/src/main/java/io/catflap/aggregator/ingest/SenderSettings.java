package io.catflap.aggregator.ingest;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The URL parameters a sender may set on a request that runs under the aggregator's own credentials; any other is
 * refused (400, naming it). Under its own ClickHouse credentials a sender sets whatever ClickHouse lets it.
 *
 * <p>An insert may set what changes only how its own rows are parsed: rows with different settings never share a
 * batch, so nothing here reaches another sender's rows. {@code input_format_values_interpret_expressions} and
 * {@code ..._deduce_templates_of_expressions} the aggregator turns off itself (a sender's {@code file()} or subquery
 * would run with its rights): a sender may ask for 0, nothing else. Left out on purpose, for example:
 * {@code max_insert_block_size} (a merged insert would no longer be all-or-nothing),
 * {@code input_format_allow_errors_ratio} (the ratio of a merged insert is not the sender's: its one bad row among
 * others' good ones would be dropped silently), {@code insert_deduplication_token} and {@code insert_quorum}
 * (they change what an insert means for every row in it), {@code format_schema} (a file on the server), resource
 * limits, {@code profile} and {@code readonly}.
 *
 * <p>A read-only query may set how its answer is written and cut short, never what it may use.
 */
final class SenderSettings {
    /** Parameters that shape only the transfer, for inserts and queries alike. */
    private static final Set<String> TRANSPORT = Set.of("compress", "decompress", "buffer_size", "wait_end_of_query",
            "enable_http_compression", "http_zlib_compression_level",
            "http_native_compression_disable_checksumming_on_decompress", "send_progress_in_http_headers",
            "http_headers_progress_interval_ms", "stacktrace");

    /** Parameters the aggregator reads itself ({@code query}, {@code database}) or drops under its credentials. */
    private static final Set<String> HANDLED = Set.of("query", "database", "query_id", "quota_key");

    /** Turned off by the aggregator under its credentials; a sender may only ask for the same. */
    private static final Set<String> OFF = Set.of("input_format_values_interpret_expressions",
            "input_format_values_deduce_templates_of_expressions");

    private static final Set<String> INSERT = Set.of(
            "date_time_input_format",
            "format_csv_delimiter", "format_csv_allow_single_quotes", "format_csv_allow_double_quotes",
            "input_format_skip_unknown_fields", "input_format_import_nested_json",
            "input_format_null_as_default", "input_format_defaults_for_omitted_fields",
            // 18.x's name of input_format_defaults_for_omitted_fields
            "insert_sample_with_metadata",
            "input_format_with_names_use_header", "input_format_tsv_empty_as_default",
            "input_format_csv_empty_as_default",
            // counted per insert: a merged insert over the limit fails and is split like any other, so no sender
            // loses more rows than it allowed alone
            "input_format_allow_errors_num",
            // gives up, for the sender's own rows, the deduplication that makes a retried insert safe
            "insert_deduplicate");

    /**
     * A session's parameters: its temporary tables and settings are the upstream user's, so only a caller that may
     * run any query under the aggregator's credentials (no token file) may use one.
     */
    private static final Set<String> SESSION = Set.of("session_id", "session_timeout", "session_check");
    private static final Set<String> INSERT_IN_SESSION = Stream.concat(INSERT.stream(), SESSION.stream())
            .collect(Collectors.toUnmodifiableSet());

    /** Not every {@code output_format_*}: {@code output_format_schema} writes a file on the server. */
    private static final Set<String> QUERY = Set.of("default_format", "extremes", "max_result_rows",
            "max_result_bytes", "result_overflow_mode", "date_time_output_format", "format_csv_delimiter",
            "output_format_json_quote_64bit_integers", "output_format_json_quote_denormals",
            "output_format_json_escape_forward_slashes", "output_format_write_statistics",
            "output_format_pretty_max_rows", "output_format_pretty_max_column_pad_width", "output_format_pretty_color",
            "output_format_csv_crlf_end_of_line", "output_format_tsv_crlf_end_of_line");

    private SenderSettings() {
    }

    /**
     * The first of an insert's URL {@code parameters} it may not set under the aggregator's credentials, or null.
     *
     * @param sessions the caller may use a session (see {@link #SESSION})
     */
    static String refusedForInsert(Map<String, List<String>> parameters, boolean sessions) {
        return firstNotIn(sessions ? INSERT_IN_SESSION : INSERT, parameters);
    }

    /** The first of a read-only query's URL {@code parameters} it may not set, or null. */
    static String refusedForQuery(Map<String, List<String>> parameters) {
        return firstNotIn(QUERY, parameters);
    }

    private static String firstNotIn(Set<String> allowed, Map<String, List<String>> parameters) {
        for (Map.Entry<String, List<String>> e : parameters.entrySet()) {
            String p = e.getKey();
            boolean off = OFF.contains(p) && e.getValue().stream().allMatch("0"::equals);
            if (!off && !HANDLED.contains(p) && !TRANSPORT.contains(p) && !allowed.contains(p)) {
                return p;
            }
        }
        return null;
    }
}
