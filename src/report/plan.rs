//! The rotation plan of `rotate`: printed for people, and written as JSON
//! (`rotation-plan.json`, schema in docs/rotation.md) for rotation scripts.
//! Version 1; within a version, changes are additive only.
use ::time::OffsetDateTime;
use serde::Serialize;

use crate::pki::model::{format_time, rfc3339};

pub const VERSION: u32 = 1;

/// Which CA is rolled over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Intermediate,
    Root,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Intermediate => "intermediate",
            Kind::Root => "root",
        }
    }
}

fn ser_time<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn ser_opt_time<S: serde::Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// A CA certificate in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct CaEntry {
    /// RFC 4514 subject.
    pub subject: String,
    /// SHA-256 fingerprint, lowercase hex without colons.
    pub sha256: String,
    #[serde(serialize_with = "ser_time")]
    pub not_after: OffsetDateTime,
    /// The file in the output directory, or null for the old CA.
    pub file: Option<String>,
}

/// A cross certificate in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct CrossEntry {
    pub file: String,
    /// `NewWithOld` or `OldWithNew` (RFC 4210 §4.4).
    pub kind: &'static str,
    pub subject: String,
    pub issuer: String,
    #[serde(serialize_with = "ser_time")]
    pub not_after: OffsetDateTime,
}

/// A file written, relative to the output directory.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    pub file: String,
    pub content: &'static str,
    /// "0600" for keys, "0644" otherwise.
    pub mode: &'static str,
}

/// One phase of the rollover.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub phase: u8,
    /// distribute, switch, retire.
    pub name: &'static str,
    #[serde(serialize_with = "ser_time")]
    pub start: OffsetDateTime,
    /// The next phase's start; null for the last phase.
    #[serde(serialize_with = "ser_opt_time")]
    pub end: Option<OffsetDateTime>,
    /// The CA bundle to give every client in this phase, or null (no change).
    pub clients_get: Option<String>,
    /// What servers send: a file of the output directory, or "current".
    pub servers_send: String,
    /// The server key that goes with it, or null for the current one.
    pub server_key: Option<String>,
    /// The bundles clients may hold in this phase ("old", "transition",
    /// "new"): each must trust `servers_send`.
    pub bundles_in_use: Vec<&'static str>,
    /// What to do, in one sentence.
    pub action: String,
}

/// The three bundles clients may hold.
#[derive(Debug, Clone, Serialize)]
pub struct Bundles {
    /// The bundle clients hold before the rollover: "current".
    pub old: &'static str,
    pub transition: String,
    pub new: String,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub version: u32,
    pub kind: Kind,
    #[serde(serialize_with = "ser_time")]
    pub created: OffsetDateTime,
    /// The output directory as given on the command line.
    pub directory: String,
    pub old_ca: CaEntry,
    pub new_ca: CaEntry,
    pub new_intermediate: CaEntry,
    pub cross_certificates: Vec<CrossEntry>,
    pub bundles: Bundles,
    pub files: Vec<FileEntry>,
    pub phases: Vec<Phase>,
    pub warnings: Vec<String>,
}

impl Plan {
    /// The plan as pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        super::json_safe(s)
    }

    /// The plan for people.
    pub fn human(&self) -> String {
        let mut s = format!(
            "{} rollover: {} -> {}\n",
            self.kind.as_str(),
            super::escape(&self.old_ca.subject),
            super::escape(&self.new_ca.subject)
        );
        for c in &self.cross_certificates {
            s.push_str(&format!(
                "  {:<32} {} ({} signed by {}), until {}\n",
                c.file,
                c.kind,
                super::escape(&c.subject),
                super::escape(&c.issuer),
                format_time(c.not_after)
            ));
        }
        s.push_str(&format!("wrote {}/\n", super::escape(&self.directory)));
        for f in &self.files {
            s.push_str(&format!("  {:<32} {} ({})\n", f.file, f.content, f.mode));
        }
        s.push_str("plan:\n");
        for p in &self.phases {
            let end = p.end.map(format_time).unwrap_or_else(|| "on".to_owned());
            s.push_str(&format!(
                "  phase {} {:<10} {} -> {}\n    {}\n    clients holding the {} bundle must trust what servers send\n",
                p.phase,
                p.name,
                format_time(p.start),
                end,
                p.action,
                p.bundles_in_use.join(" or the ")
            ));
        }
        for w in &self.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s
    }
}
