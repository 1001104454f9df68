package io.catflap.loadtest;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Writes maps, lists, strings, numbers, booleans and null as indented JSON, keys in map order. */
final class Json {
    private Json() {}

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, "");
        return out.append('\n').toString();
    }

    private static void write(Object value, StringBuilder out, String indent) {
        if (value instanceof Map<?, ?> map) {
            writeAll(map.entrySet().iterator(), out, indent, '{', '}', (e, o, in) -> {
                o.append(SqlText.jsonString(String.valueOf(e.getKey()))).append(": ");
                write(e.getValue(), o, in);
            });
        } else if (value instanceof List<?> list) {
            writeAll(list.iterator(), out, indent, '[', ']', Json::write);
        } else if (value instanceof Double d) {
            out.append(d.isNaN() || d.isInfinite() ? "null" : String.format(java.util.Locale.ROOT, "%.3f", d));
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value == null) {
            out.append("null");
        } else {
            out.append(SqlText.jsonString(value.toString()));
        }
    }

    private interface ElementWriter<T> {
        void write(T element, StringBuilder out, String indent);
    }

    private static <T> void writeAll(Iterator<T> it, StringBuilder out, String indent, char open, char close,
            ElementWriter<T> element) {
        out.append(open);
        if (!it.hasNext()) {
            out.append(close);
            return;
        }
        String inner = indent + "  ";
        while (it.hasNext()) {
            out.append('\n').append(inner);
            element.write(it.next(), out, inner);
            if (it.hasNext()) {
                out.append(',');
            }
        }
        out.append('\n').append(indent).append(close);
    }
}
