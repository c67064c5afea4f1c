//! Property and parameter values: what a Cypher parameter can hold, and its Cypher literal.
//!
//! Node and relationship *properties* must be primitives or lists of primitives; parameters may
//! also be lists of maps (the rows of an `UNWIND`). [`Value`] covers both, and the builders in
//! [`super::build`] only ever put primitives into property maps. There is no null: absent values
//! are left out, which is what Neo4j does with a null property anyway.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A property map, ordered by key so that everything rendered from it is deterministic.
pub type Props = BTreeMap<String, Value>;

/// A Cypher value (no null).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    /// Finite ([`Value::float`] refuses NaN and infinities), except in the lists of
    /// [`Value::series`], where `NaN` marks a gap.
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Map(Props),
}

impl Value {
    /// A float value, or `None` for NaN and infinities (which Cypher literals cannot express
    /// and which no figure should carry).
    pub fn float(v: f64) -> Option<Value> {
        v.is_finite().then_some(Value::Float(v))
    }

    /// A list of floats where `None` (or a non-finite value) is a gap, stored as `NaN`: graph
    /// lists cannot hold null, and a series must keep its positions on the shared time axis.
    pub fn series(values: impl IntoIterator<Item = Option<f64>>) -> Value {
        Value::List(
            values
                .into_iter()
                .map(|v| Value::Float(v.filter(|v| v.is_finite()).unwrap_or(f64::NAN)))
                .collect(),
        )
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// Converts JSON to a value: `null` is `None`, non-finite numbers too; integers that fit
    /// `i64` stay integers. Nulls inside lists and maps are dropped.
    pub fn from_json(v: &serde_json::Value) -> Option<Value> {
        match v {
            serde_json::Value::Null => None,
            serde_json::Value::Bool(b) => Some(Value::Bool(*b)),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Some(Value::Int(i)),
                None => n.as_f64().and_then(Value::float),
            },
            serde_json::Value::String(s) => Some(Value::Str(s.clone())),
            serde_json::Value::Array(a) => {
                Some(Value::List(a.iter().filter_map(Value::from_json).collect()))
            }
            serde_json::Value::Object(m) => Some(Value::Map(
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), Value::from_json(v)?)))
                    .collect(),
            )),
        }
    }

    /// The value as a Cypher literal: strings single-quoted and escaped, floats always with a
    /// decimal point or exponent, map keys back-quoted when they are not plain identifiers.
    pub fn to_cypher(&self) -> String {
        let mut out = String::new();
        self.write_cypher(&mut out);
        out
    }

    fn write_cypher(&self, out: &mut String) {
        match self {
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => write_float(*f, out),
            Value::Str(s) => write_string(s, out),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_cypher(out);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_key(k, out);
                    out.push_str(": ");
                    v.write_cypher(out);
                }
                out.push('}');
            }
        }
    }
}

/// Equality as stored: two gaps (`NaN`) of a series are equal.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}
impl From<Props> for Value {
    fn from(m: Props) -> Self {
        Value::Map(m)
    }
}

/// Unsigned counts and sizes as integers, saturating at `i64::MAX`.
pub fn int(v: u64) -> Value {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        // A gap in a series (Cypher has no NaN literal; IEEE division gives it).
        out.push_str("(0.0 / 0.0)");
        return;
    }
    if !f.is_finite() {
        // Unreachable through `Value::float` and `Value::series`; keep the literal valid.
        out.push_str("0.0");
        return;
    }
    // `{:?}` is the shortest round-trip form: `1.0`, `0.001`, `1e-7`, `1.5e300`.
    let s = format!("{f:?}");
    out.push_str(&s);
    if !s.contains(['.', 'e', 'E']) {
        out.push_str(".0");
    }
}

/// A single-quoted Cypher string. Quotes and backslashes are escaped, and so is every control
/// character (as `\uXXXX`); other Unicode is written as is (scripts are UTF-8).
fn write_string(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// A map key or property name: bare when it is a plain identifier, else back-quoted.
pub(crate) fn write_key(k: &str, out: &mut String) {
    if is_identifier(k) {
        out.push_str(k);
    } else {
        out.push('`');
        out.push_str(&k.replace('`', "``"));
        out.push('`');
    }
}

pub(crate) fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        let cases: &[(Value, &str)] = &[
            (Value::Bool(true), "true"),
            (Value::Int(-3), "-3"),
            (Value::Float(1.0), "1.0"),
            (Value::Float(0.0125), "0.0125"),
            (Value::Float(1e-7), "1e-7"),
            (Value::Float(-2.5e300), "-2.5e300"),
            (Value::from("plain"), "'plain'"),
            (Value::from("it's"), r"'it\'s'"),
            (Value::from(r#"a\b"c"#), r#"'a\\b\"c'"#),
            (Value::from("line1\nline2\r\t"), r"'line1\nline2\r\t'"),
            (Value::from("nul\u{0}bell\u{7}"), r"'nul\u0000bell\u0007'"),
            (Value::from("Åland ∅ 🚀"), "'Åland ∅ 🚀'"),
            (Value::from("sep\u{2028}"), r"'sep\u2028'"),
            (Value::from("$param // x"), "'$param // x'"),
            (
                Value::List(vec![Value::Int(1), Value::Float(2.0)]),
                "[1, 2.0]",
            ),
            (
                Value::Map(Props::from([
                    ("a_b".into(), Value::Int(1)),
                    ("with space".into(), Value::Bool(false)),
                    ("tick`".into(), Value::from("x")),
                ])),
                "{a_b: 1, `tick```: 'x', `with space`: false}",
            ),
        ];
        for (v, want) in cases {
            assert_eq!(&v.to_cypher(), want, "{v:?}");
        }
    }

    #[test]
    fn non_finite_floats_are_refused() {
        assert_eq!(Value::float(f64::NAN), None);
        assert_eq!(Value::float(f64::INFINITY), None);
        assert_eq!(Value::float(1.5), Some(Value::Float(1.5)));
        assert_eq!(Value::from_json(&serde_json::json!(null)), None);
    }

    #[test]
    fn json_conversion_drops_nulls() {
        let v = Value::from_json(&serde_json::json!({"a": null, "b": [1, null, 2.5], "c": "x"}));
        assert_eq!(
            v,
            Some(Value::Map(Props::from([
                (
                    "b".into(),
                    Value::List(vec![Value::Int(1), Value::Float(2.5)])
                ),
                ("c".into(), Value::from("x")),
            ])))
        );
    }

    #[test]
    fn identifiers() {
        for (k, ok) in [
            ("a", true),
            ("_a1", true),
            ("1a", false),
            ("", false),
            ("a-b", false),
        ] {
            assert_eq!(is_identifier(k), ok, "{k}");
        }
    }
}
