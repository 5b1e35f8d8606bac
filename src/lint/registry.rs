//! Every rule chainsmith has, in code order. Codes are permanent: a retired
//! rule keeps its entry (with `Status::Removed`) and its code is never reused.
use super::{Rule, RuleMeta, appservice, input, links, order, rollover, target, usage, validity};

static RULES: &[&dyn Rule] = &[
    &input::Cs101,
    &input::Cs102,
    &input::Cs103,
    &input::Cs104,
    &input::Cs105,
    &input::Cs106,
    &input::Cs107,
    &input::Cs108,
    &order::Cs201,
    &order::Cs202,
    &order::Cs203,
    &links::Cs204,
    &links::Cs205,
    &links::Cs206,
    &links::Cs207,
    &links::Cs208,
    &links::Cs209,
    &order::Cs210,
    &links::Cs211,
    &links::Cs212,
    &links::Cs213,
    &links::Cs214,
    &rollover::Cs215,
    &rollover::Cs216,
    &rollover::Cs217,
    &validity::Cs301,
    &validity::Cs302,
    &validity::Cs303,
    &usage::Cs304,
    &usage::Cs305,
    &usage::Cs306,
    &usage::Cs307,
    &usage::Cs308,
    &usage::Cs309,
    &usage::Cs310,
    &usage::Cs311,
    &usage::Cs312,
    &usage::Cs313,
    &usage::Cs314,
    &usage::Cs315,
    &usage::Cs316,
    &appservice::Cs317,
    &appservice::Cs318,
    &appservice::Cs319,
    &target::Cs401,
    &target::Cs402,
    &target::Cs403,
    &target::Cs404,
    &target::Cs405,
    &target::Cs406,
    &appservice::Cs407,
];

/// All rules, in code order.
pub fn rules() -> &'static [&'static dyn Rule] {
    RULES
}

/// All rule metadata, in code order.
pub fn metas() -> impl Iterator<Item = &'static RuleMeta> {
    RULES.iter().map(|r| r.meta())
}

/// Find a rule by code (`CS203`, any case) or name (`wrong-order`).
pub fn find(key: &str) -> Option<&'static RuleMeta> {
    let key = key.trim();
    metas().find(|m| m.code.eq_ignore_ascii_case(key) || m.name == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for m in metas() {
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
        }
    }

    #[test]
    fn codes_are_well_formed_and_sorted() {
        let codes: Vec<&str> = metas().map(|m| m.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
        for m in metas() {
            assert!(
                m.code.len() == 5
                    && m.code.starts_with("CS")
                    && m.code[2..].chars().all(|c| c.is_ascii_digit())
            );
            assert!(
                m.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                m.name
            );
            assert!(!m.fix.is_empty() && !m.summary.is_empty() && !m.explanation.is_empty());
        }
    }

    #[test]
    fn lookup_by_code_or_name() {
        assert_eq!(find("cs203").map(|m| m.name), Some("wrong-order"));
        assert_eq!(find("leaf-only-ca-bundle").map(|m| m.code), Some("CS201"));
        assert!(find("CS999").is_none());
    }

    #[test]
    fn catalogue_snapshot() {
        let list: Vec<String> = metas()
            .map(|m| format!("{} {} {}", m.code, m.name, m.default_severity))
            .collect();
        insta::assert_snapshot!(list.join("\n"));
    }
}
