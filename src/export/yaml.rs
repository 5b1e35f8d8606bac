//! A small YAML writer for the Kubernetes manifests `export` produces.
//! Block style for mappings and sequences; every string is double-quoted
//! with escapes, so no value can turn into a boolean, a number, a comment or
//! a second document, whatever a certificate or an argument contains.
use serde_json::Value;

/// One YAML document (starting with `---`) for `value`.
pub fn document(value: &Value) -> String {
    let mut out = String::from("---\n");
    match value {
        Value::Object(_) | Value::Array(_) => emit_block(&mut out, value, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn emit_block(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push('\n');
                        emit_block(out, v, indent + 2);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        emit_block(out, v, indent);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&inline(v));
                        out.push('\n');
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // The first key goes on the dash line, the rest line up under it.
                        let mut inner = String::new();
                        emit_block(&mut inner, item, indent + 2);
                        out.push_str(&pad);
                        out.push_str("- ");
                        out.push_str(&inner[indent + 2..]);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&pad);
                        out.push_str("-\n");
                        emit_block(out, item, indent + 2);
                    }
                    _ => {
                        out.push_str(&pad);
                        out.push_str("- ");
                        out.push_str(&inline(item));
                        out.push('\n');
                    }
                }
            }
        }
        scalar => {
            out.push_str(&pad);
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

/// A scalar, or an empty collection, on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Plain keys when they are simple identifiers, quoted otherwise.
fn key(k: &str) -> String {
    let simple = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
    if simple { k.to_owned() } else { quote(k) }
}

/// A YAML double-quoted scalar. Escapes `"`, `\`, every control character
/// (C0, DEL, C1) and the characters YAML treats as line breaks or BOM.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_style_with_quoted_strings() {
        let v = json!({
            "apiVersion": "v1",
            "data": {"ca-bundle.crt": "QUJD"},
            "list": [{"name": "a", "value": "yes"}, "no"],
            "empty": {},
            "n": 3,
        });
        assert_eq!(
            document(&v),
            "---\napiVersion: \"v1\"\ndata:\n  ca-bundle.crt: \"QUJD\"\nlist:\n- name: \"a\"\n  value: \"yes\"\n- \"no\"\nempty: {}\nn: 3\n"
        );
    }

    #[test]
    fn hostile_strings_stay_strings() {
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(
            quote("\u{1b}[31m\u{85}\u{2028}"),
            "\"\\u001B[31m\\u0085\\u2028\""
        );
    }
}
