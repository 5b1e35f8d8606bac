//! `.chainsmith.toml`: per-glob intent, rule severities, warn-days, ignores
//! and the globs that select files inside directories. Found by searching
//! upward from the working directory, or given with `--config`.
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::registry;
use super::{Expect, Finding, Severity};
use crate::limits::{LimitError, MAX_CONFIG_BYTES, MAX_CONFIG_PATTERNS, echo, echo_message};

pub const FILE_NAME: &str = ".chainsmith.toml";

/// File extensions linted inside directories unless `include` says otherwise.
pub const DEFAULT_INCLUDE: &[&str] = &[
    "*.pem", "*.crt", "*.cer", "*.der", "*.p7b", "*.p7c", "*.pfx", "*.p12",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    /// A bound of `crate::limits` (file size, number of rule keys and globs).
    #[error("{path}: {limit}")]
    Limit {
        path: String,
        limit: crate::limits::LimitError,
    },
    #[error(
        "{origin}: unknown rule `{key}` (give a code such as CS203 or a name such as wrong-order; `chainsmith rules` lists them)"
    )]
    UnknownRule { origin: String, key: String },
    #[error("{origin}: bad glob `{glob}`: {message}")]
    BadGlob {
        origin: String,
        glob: String,
        message: String,
    },
    #[error(
        "{origin}: unknown intent `{value}` for `{glob}` (auto, ca-bundle, server-chain, apim-ca or aks)"
    )]
    BadExpect {
        origin: String,
        glob: String,
        value: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    warn_days: Option<u32>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    warn: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    include: Option<Vec<String>>,
    /// glob → intent
    #[serde(default)]
    expect: BTreeMap<String, String>,
    #[serde(default)]
    rollover: RawRollover,
}

/// `[rollover]`: the CA bundles clients hold during a CA rollover.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollover {
    #[serde(default)]
    deployed: Vec<String>,
}

/// A loaded configuration file.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    /// Globs are matched against paths relative to this directory.
    pub base: PathBuf,
    pub warn_days: Option<u32>,
    pub allow: Vec<String>,
    pub warn: Vec<String>,
    pub deny: Vec<String>,
    pub ignore: Vec<String>,
    pub include: Option<Vec<String>>,
    pub expect: Vec<(String, Expect)>,
    /// `[rollover] deployed`: the deployed CA bundles (CS215-CS217),
    /// relative paths taken from the configuration file's directory.
    pub deployed: Vec<PathBuf>,
    /// The `[expect]` globs compiled once, in order.
    expect_set: GlobSet,
}

impl Config {
    /// Read and validate a configuration file of at most
    /// [`MAX_CONFIG_BYTES`](crate::limits::MAX_CONFIG_BYTES) (a FIFO or
    /// `/dev/zero` is read no further).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let bytes =
            crate::pki::load::read_limited_to(path, MAX_CONFIG_BYTES).map_err(|e| match e {
                crate::error::LoadError::TooLarge { .. } => too_large(&shown),
                crate::error::LoadError::Io { cause, .. } => ConfigError::Io {
                    path: shown.clone(),
                    source: cause,
                },
                other => ConfigError::Parse {
                    path: shown.clone(),
                    message: other.to_string(),
                },
            })?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Parse {
            path: shown.clone(),
            message: "the file is not UTF-8".to_owned(),
        })?;
        Self::parse(path, &text)
    }

    /// Parse and validate configuration text; the size and entry-count
    /// limits are checked before TOML parsing and before any glob is compiled.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(too_large(&shown));
        }
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: parse_message(&e, text),
        })?;
        let count = [&raw.allow, &raw.warn, &raw.deny, &raw.ignore]
            .iter()
            .map(|v| v.len())
            .sum::<usize>()
            + raw.include.as_ref().map_or(0, Vec::len)
            + raw.expect.len()
            + raw.rollover.deployed.len();
        if count > MAX_CONFIG_PATTERNS {
            return Err(ConfigError::Limit {
                path: shown,
                limit: LimitError::TooManyPatterns {
                    count,
                    limit: MAX_CONFIG_PATTERNS,
                },
            });
        }
        let mut expect = Vec::new();
        for (glob, value) in raw.expect {
            let Some(e) = Expect::parse(&value) else {
                return Err(ConfigError::BadExpect {
                    origin: shown,
                    glob: echo(&glob),
                    value: echo(&value),
                });
            };
            expect.push((glob, e));
        }
        let base = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let deployed = raw.rollover.deployed.iter().map(|d| base.join(d)).collect();
        let cfg = Config {
            path: path.to_path_buf(),
            base,
            warn_days: raw.warn_days,
            allow: raw.allow,
            warn: raw.warn,
            deny: raw.deny,
            ignore: raw.ignore,
            include: raw.include,
            deployed,
            expect_set: GlobSet::empty(),
            expect,
        };
        // Validate rule keys and globs now, so errors name the file.
        Overrides::build(&[(&cfg.allow, &cfg.warn, &cfg.deny, &shown)])?;
        globs(&cfg.ignore, &shown)?;
        if let Some(inc) = &cfg.include {
            globs(inc, &shown)?;
        }
        let patterns: Vec<String> = cfg.expect.iter().map(|(g, _)| g.clone()).collect();
        let expect_set = globs(&patterns, &shown)?;
        Ok(Config { expect_set, ..cfg })
    }

    /// `.chainsmith.toml` in `dir` or the nearest ancestor.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        let mut cur = std::path::absolute(dir).ok()?;
        loop {
            let candidate = cur.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            if !cur.pop() {
                return None;
            }
        }
    }

    /// The path of `file` relative to the config's directory, with `/`.
    pub fn relative(&self, file: &Path) -> String {
        let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let rel = abs.strip_prefix(&self.base).unwrap_or(file);
        rel.to_string_lossy().replace('\\', "/")
    }

    /// The intent configured for `file` (first matching glob), if any.
    pub fn expect_for(&self, file: &Path) -> Option<Expect> {
        let rel = self.relative(file);
        let mut hits = self.expect_set.matches(&rel);
        if let Some(name) = file.file_name() {
            hits.extend(self.expect_set.matches(name));
        }
        hits.into_iter()
            .min()
            .and_then(|i| self.expect.get(i))
            .map(|(_, e)| *e)
    }
}

/// Compile globs; the origin names where they came from.
pub fn globs(patterns: &[String], origin: &str) -> Result<GlobSet, ConfigError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| ConfigError::BadGlob {
            origin: origin.to_owned(),
            glob: echo(p),
            message: echo_message(&e.kind().to_string()),
        })?;
        b.add(g);
    }
    b.build().map_err(|e| ConfigError::BadGlob {
        origin: origin.to_owned(),
        glob: echo(&patterns.join(", ")),
        message: echo_message(&e.to_string()),
    })
}

fn too_large(shown: &str) -> ConfigError {
    ConfigError::Limit {
        path: shown.to_owned(),
        limit: LimitError::TooLarge {
            what: "the configuration file",
            limit: MAX_CONFIG_BYTES,
        },
    }
}

/// A TOML error on one line: where it is and what is wrong, without the
/// quoted source line (which may be megabytes long).
fn parse_message(e: &toml::de::Error, text: &str) -> String {
    let message = echo_message(e.message().trim());
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            format!(
                "line {line}, column {column}: {}",
                message.replace('\n', " ")
            )
        }
        None => message.replace('\n', " "),
    }
}

/// One layer of overrides: (allow, warn, deny, where they came from).
pub type Layer<'a> = (&'a Vec<String>, &'a Vec<String>, &'a Vec<String>, &'a str);

/// Severity changes per rule: `None` means allowed (the finding is dropped).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    map: HashMap<&'static str, Option<Severity>>,
}

impl Overrides {
    /// Layers are applied in order (config first, then the command line);
    /// within a layer allow, then warn, then deny, so deny wins.
    pub fn build(layers: &[Layer<'_>]) -> Result<Overrides, ConfigError> {
        let mut map = HashMap::new();
        for (allow, warn, deny, origin) in layers {
            for (keys, sev) in [
                (allow, None),
                (warn, Some(Severity::Warning)),
                (deny, Some(Severity::Error)),
            ] {
                for k in keys.iter() {
                    let meta = registry::find(k).ok_or_else(|| ConfigError::UnknownRule {
                        origin: (*origin).to_owned(),
                        key: echo(k),
                    })?;
                    map.insert(meta.code, sev);
                }
            }
        }
        Ok(Overrides { map })
    }

    /// Apply to one finding; `None` drops it.
    pub fn apply(&self, mut f: Finding) -> Option<Finding> {
        match self.map.get(f.rule.code) {
            None => Some(f),
            Some(None) => None,
            Some(Some(s)) => {
                f.severity = *s;
                Some(f)
            }
        }
    }

    /// The severity a rule has after overrides (for `rules` and SARIF).
    pub fn is_allowed(&self, code: &str) -> bool {
        matches!(self.map.get(code), Some(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let text = r#"
warn-days = 45
allow = ["CS103", "crlf-line-endings"]
deny = ["expires-soon"]
ignore = ["vendor/**"]
include = ["*.pem"]
[expect]
"trust/*.pem" = "ca-bundle"
"apim/*.cer" = "apim-ca"
"#;
        let c = Config::parse(Path::new("proj/.chainsmith.toml"), text).expect("config");
        assert_eq!(c.warn_days, Some(45));
        assert_eq!(c.expect.len(), 2);
        assert_eq!(
            c.expect_for(Path::new("proj/trust/a.pem")),
            Some(Expect::CaBundle)
        );
        assert_eq!(c.expect_for(Path::new("proj/other/a.pem")), None);
    }

    #[test]
    fn rollover_bundles_are_taken_from_the_config_directory() {
        let text = "[rollover]\ndeployed = [\"old/ca-bundle.crt\", \"/etc/ssl/new.pem\"]\n";
        let c = Config::parse(Path::new("proj/.chainsmith.toml"), text).expect("config");
        let base = std::path::absolute("proj").expect("absolute");
        assert_eq!(
            c.deployed,
            [
                base.join("old/ca-bundle.crt"),
                PathBuf::from("/etc/ssl/new.pem")
            ]
        );
        assert!(Config::parse(Path::new("c.toml"), "[rollover]\nbundles = []\n").is_err());
        assert!(
            Config::parse(Path::new("c.toml"), "")
                .expect("empty")
                .deployed
                .is_empty()
        );
    }

    #[test]
    fn rejects_unknown_keys_rules_and_intents() {
        type Want = fn(&ConfigError) -> bool;
        let cases: [(&str, Want); 4] = [
            ("colour = 1", |e| matches!(e, ConfigError::Parse { .. })),
            ("allow = [\"CS999\"]", |e| {
                matches!(e, ConfigError::UnknownRule { .. })
            }),
            ("[expect]\n\"*.pem\" = \"bundle\"", |e| {
                matches!(e, ConfigError::BadExpect { .. })
            }),
            ("ignore = [\"a[\"]", |e| {
                matches!(e, ConfigError::BadGlob { .. })
            }),
        ];
        for (text, want) in cases {
            let err = Config::parse(Path::new("c.toml"), text).expect_err(text);
            assert!(want(&err), "{text:?}: {err}");
        }
    }
}
