//! CS301-CS303: validity periods against the injected clock (`--at`).
use ::time::Duration;

use super::usage::per_cert;
use super::{Bundle, Context, Finding, Rule, name, rule};

rule!(Cs301, "CS301", "expired", Error,
    summary: "notAfter before --at",
    citation: Some("RFC 5280 §4.1.2.5, §6.1.3 (a)(2)"),
    explanation: "The certificate has expired. Every client rejects a chain through an expired certificate (an expired root in a CA bundle is dead weight at best).",
    fix: "renew the certificate (`chainsmith issue --renew OLD.crt`) or remove it",
);

rule!(Cs302, "CS302", "not-yet-valid", Error,
    summary: "notBefore after --at",
    citation: Some("RFC 5280 §4.1.2.5"),
    explanation: "The certificate is not valid yet. Either it was issued with a future start date, or the clock of the machine that issued it (or of the client) is wrong.",
    fix: "wait until notBefore, or reissue the certificate with a correct start date",
);

rule!(Cs303, "CS303", "expires-soon", Warning,
    summary: "notAfter within --warn-days (default 30)",
    citation: None,
    explanation: "The certificate expires within the warning window. Renew it now, while there is time to roll it out everywhere it is deployed.",
    fix: "renew the certificate (`chainsmith issue --renew OLD.crt`)",
);

/// A date for messages: `2026-11-22 13:05:00 UTC`.
pub use crate::pki::model::format_time as day;

impl Rule for Cs301 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        per_cert(
            b,
            &Self::META,
            |i| b.certs[i].not_after < ctx.now,
            |c| format!("{} expired on {}", name(c), day(c.not_after)),
        )
    }
}

impl Rule for Cs302 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        per_cert(
            b,
            &Self::META,
            |i| b.certs[i].not_before > ctx.now,
            |c| format!("{} is not valid before {}", name(c), day(c.not_before)),
        )
    }
}

impl Rule for Cs303 {
    fn check(&self, b: &Bundle<'_>, ctx: &Context<'_>) -> Vec<Finding> {
        // A window past the last representable date (a huge --warn-days, or
        // --at near 9999-12-31) takes in every certificate not yet expired.
        let horizon = ctx
            .now
            .checked_add(Duration::days(i64::from(ctx.warn_days)));
        b.distinct()
            .filter(|&i| {
                let c = &b.certs[i];
                c.not_after >= ctx.now && horizon.is_none_or(|h| c.not_after < h)
            })
            .map(|i| {
                let c = &b.certs[i];
                let left = (c.not_after - ctx.now).whole_days();
                Finding::cert(
                    &Self::META,
                    c,
                    format!(
                        "{} expires on {} ({left} days left)",
                        name(c),
                        day(c.not_after)
                    ),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn cs301_expired_only_after_not_after() {
        assert!(has(&lint_fixture("expired.pem", "auto"), "CS301"));
        assert!(!has(
            &lint_fixture_at("expired.pem", "auto", "2020-06-01T00:00:00Z"),
            "CS301"
        ));
    }

    #[test]
    fn cs302_not_yet_valid() {
        assert!(has(
            &lint_fixture_at("expired.pem", "auto", "2019-06-01T00:00:00Z"),
            "CS302"
        ));
        assert!(!has(&lint_fixture("server-fullchain.pem", "auto"), "CS302"));
    }

    #[test]
    fn cs303_window_past_the_last_date_takes_in_every_valid_certificate() {
        // expired.pem ends on 2021-01-01: the window from 2020-06-01 reaches
        // it with 4294967295 days, and with any --at up to its notAfter.
        let bytes = read_fixture("expired.pem");
        let run = |now, warn_days| {
            let inputs = vec![input("expired.pem", &bytes, "auto")];
            run_engine(inputs, now, warn_days, &[], None, &Default::default())
                .pop()
                .unwrap()
                .findings
        };
        assert!(has(&run(time("2020-06-01T00:00:00Z"), u32::MAX), "CS303"));
        assert!(!has(&run(time("2020-06-01T00:00:00Z"), 30), "CS303"));
        // Past every notAfter: expired (CS301), never a panic.
        let late = run(time("9999-12-31T23:59:59Z"), u32::MAX);
        assert!(has(&late, "CS301") && !has(&late, "CS303"));
    }

    #[test]
    fn cs303_warn_days_window() {
        assert!(has(
            &lint_fixture_at("expired.pem", "auto", "2020-12-15T00:00:00Z"),
            "CS303"
        ));
        assert!(!has(
            &lint_fixture_at("expired.pem", "auto", "2020-06-01T00:00:00Z"),
            "CS303"
        ));
    }
}
