//! `rotate`: roll an intermediate or a root over without an outage. Resolve
//! the current chain, date the three phases, make the new CA (and for a root
//! the cross certificates) and the re-issued leaf, then write every file and
//! the plan as one all-or-nothing set.
use std::path::{Path, PathBuf};

use ::time::OffsetDateTime;
use anyhow::{anyhow, bail};

use crate::ExitStatus;
use crate::cli::GlobalArgs;
use crate::cli::rotate::{PlanFormat, RotateArgs, RotateWhat};
use crate::fsio::{Mode, WriteSet};
use crate::pki::issue;
use crate::pki::keys::{self, KeyType};
use crate::pki::model::Cert;
use crate::pki::rollover::{self, Made, NewCa, OldCa, Period, Signer};
use crate::pki::verify::{self, SigCheck};
use crate::report::plan::{Bundles, CaEntry, CrossEntry, FileEntry, Phase, Plan};
use crate::report::{Printer, escape, escape_path};
use crate::secret::PasswordSource;

const PLAN_FILE: &str = "rotation-plan.json";
const TRANSITION: &str = "ca-bundle-transition.crt";
const NEW_BUNDLE: &str = "ca-bundle.crt";
const FULLCHAIN: &str = "server-fullchain.crt";
const OVERLAP: &str = "server-fullchain-overlap.crt";
const BRIDGED: &str = "old-server-fullchain-bridged.crt";
const NEW_WITH_OLD: &str = "new-root-signed-by-old.crt";
const OLD_WITH_NEW: &str = "old-root-signed-by-new.crt";

/// The chain being rolled over.
struct Current {
    root: Cert,
    root_key: keys::Key,
    int: Cert,
    /// With --keep-key: the current intermediate's key.
    int_key: Option<keys::Key>,
    leaf: Cert,
}

/// The three phase starts.
struct Dates {
    start: OffsetDateTime,
    switch: OffsetDateTime,
    retire: OffsetDateTime,
}

/// Everything made in this run.
struct Output {
    root: Option<NewCa>,
    new_with_old: Option<Made>,
    old_with_new: Option<Made>,
    int: NewCa,
    leaf: Made,
    leaf_key: keys::Key,
}

pub fn run(args: RotateArgs, global: &GlobalArgs) -> anyhow::Result<ExitStatus> {
    let printer = Printer::new(global);
    let now = OffsetDateTime::now_utc();
    let mut current = resolve(&args)?;
    let kept = current.int_key.take();
    let dates = phase_dates(&args, now)?;
    let mut planned = WriteSet::new();
    for (name, secret) in file_names(args.what) {
        planned.add(args.out.join(name), Vec::new(), mode(secret));
    }
    planned.check_clobber(args.force)?;

    let password = new_key_password(&args)?;
    let mut warnings = Vec::new();
    let made = make(&args, &current, kept, now, &mut warnings)?;
    warnings.extend(date_warnings(&args, &current, &made, &dates));
    let plan = build_plan(&args, &current, &made, &dates, now, warnings);
    let pw = password.as_ref().map(|p| p.as_str());
    files(&args.out, &current, &made, &plan, pw)?.commit(args.force)?;

    for w in &plan.warnings {
        printer.warn(w);
    }
    match args.format {
        PlanFormat::Human => printer.out(&plan.human())?,
        PlanFormat::Json => printer.out(&plan.to_json())?,
    }
    Ok(ExitStatus::Clean)
}

/// The password for the new keys, with --encrypt-keys; asked before any
/// slow work.
fn new_key_password(args: &RotateArgs) -> anyhow::Result<Option<crate::secret::Password>> {
    if !args.encrypt_keys {
        if args.password.given() {
            bail!(
                "--password-file, --password-env and --password-stdin are for --encrypt-keys; add it, or leave them out"
            );
        }
        return Ok(None);
    }
    if args.password.password_stdin && args.ca_key_password.ca_key_password_stdin {
        bail!("--ca-key-password-stdin and --password-stdin cannot both read standard input");
    }
    let pw = args
        .password
        .source()
        .read("password for the new keys", true)?
        .ok_or_else(|| anyhow!("--encrypt-keys needs a password: pass --password-file, --password-env or --password-stdin"))?;
    Ok(Some(pw))
}

fn mode(secret: bool) -> Mode {
    if secret { Mode::Secret } else { Mode::Public }
}

/// Every file written, with whether it is secret, in the order written.
fn file_names(what: RotateWhat) -> Vec<(&'static str, bool)> {
    let mut v = Vec::new();
    if what == RotateWhat::Root {
        v.extend([
            ("root.crt", false),
            ("root.key", true),
            ("root.cer", false),
            (NEW_WITH_OLD, false),
            (OLD_WITH_NEW, false),
        ]);
    }
    v.extend([
        ("intermediate.crt", false),
        ("intermediate.key", true),
        ("intermediate.cer", false),
        ("server.crt", false),
        ("server.key", true),
        (FULLCHAIN, false),
    ]);
    if what == RotateWhat::Root {
        v.extend([(OVERLAP, false), (BRIDGED, false)]);
    }
    v.extend([(TRANSITION, false), (NEW_BUNDLE, false), (PLAN_FILE, false)]);
    v
}

/// The current root (or issuing CA), its key, intermediate and leaf, from
/// `--from DIR` or the explicit files; links checked by signature.
fn resolve(args: &RotateArgs) -> anyhow::Result<Current> {
    let from = |name: &str| args.from.as_ref().map(|d| d.join(name));
    let pick = |explicit: &Option<PathBuf>, name: &str| -> anyhow::Result<PathBuf> {
        explicit
            .clone()
            .or_else(|| from(name))
            .ok_or_else(|| anyhow!("give --from DIR, or --ca, --ca-key, --intermediate and --leaf"))
    };
    let (ca_path, key_path) = (pick(&args.ca, "root.crt")?, pick(&args.ca_key, "root.key")?);
    let (int_path, leaf_path) = (
        pick(&args.intermediate, "intermediate.crt")?,
        pick(&args.leaf, "server.crt")?,
    );
    let root = super::inputs::first_cert(&ca_path, "the current CA")?;
    check_ca(&ca_path, &root, args.what)?;
    let source = args.ca_key_password.source();
    let root_key = keys::read_key(&key_path, &source, "the CA key").map_err(|e| {
        e.or_give_password_with(
            "--ca-key-password-file, --ca-key-password-env or --ca-key-password-stdin",
        )
    })?;
    if !keys::matches(&root, &root_key) {
        bail!(
            "{}: this key does not match the CA certificate {} (subject {})",
            escape_path(&key_path),
            escape_path(&ca_path),
            escape(&root.subject)
        );
    }
    let int = super::inputs::first_cert(&int_path, "the current intermediate")?;
    issued_by(&int_path, &int, &ca_path, &root)?;
    let leaf = super::inputs::first_cert(&leaf_path, "the current server certificate")?;
    issued_by(&leaf_path, &leaf, &int_path, &int)?;
    let int_key = match args.keep_key {
        true => Some(kept_key(args, &source, &int, &int_path)?),
        false => None,
    };
    Ok(Current {
        root,
        root_key,
        int,
        int_key,
        leaf,
    })
}

/// `--keep-key`: the current intermediate's key, which must match it.
fn kept_key(
    args: &RotateArgs,
    source: &PasswordSource,
    int: &Cert,
    int_path: &Path,
) -> anyhow::Result<keys::Key> {
    if args.what != RotateWhat::Intermediate {
        bail!("--keep-key re-certifies an intermediate; a root rollover always makes a new key");
    }
    let path = args
        .intermediate_key
        .clone()
        .or_else(|| args.from.as_ref().map(|d| d.join("intermediate.key")))
        .ok_or_else(|| anyhow!("--keep-key needs --intermediate-key KEY (or --from DIR)"))?;
    let key = keys::read_key(&path, source, "the intermediate key").map_err(|e| {
        e.or_give_password_with(
            "--ca-key-password-file, --ca-key-password-env or --ca-key-password-stdin",
        )
    })?;
    if !keys::matches(int, &key) {
        bail!(
            "{}: this key does not match the intermediate {}",
            escape_path(&path),
            escape_path(int_path)
        );
    }
    Ok(key)
}

fn check_ca(path: &Path, ca: &Cert, what: RotateWhat) -> anyhow::Result<()> {
    let p = escape_path(path);
    if !ca.basic_constraints.is_some_and(|b| b.ca)
        || ca.key_usage.is_some_and(|k| !k.key_cert_sign())
    {
        bail!(
            "{p}: `{}` is not a CA that may sign certificates (basicConstraints CA:TRUE and keyCertSign)",
            escape(&ca.subject)
        );
    }
    if what == RotateWhat::Root
        && !(ca.is_self_issued() && verify::check(ca, ca) == SigCheck::Valid)
    {
        bail!(
            "{p}: `{}` is not a self-signed root; `rotate root` rolls a root over (use `rotate intermediate` for a CA below one)",
            escape(&ca.subject)
        );
    }
    Ok(())
}

fn issued_by(path: &Path, c: &Cert, ca_path: &Path, ca: &Cert) -> anyhow::Result<()> {
    if c.issuer_raw == ca.subject_raw && verify::check(c, ca) == SigCheck::Valid {
        return Ok(());
    }
    bail!(
        "{}: was not issued by {} (its issuer is `{}`, and that CA's key does not verify it)",
        escape_path(path),
        escape_path(ca_path),
        escape(&c.issuer)
    )
}

/// Phase starts: `--start` (or now), then `--switch-at`/`--retire-at` or one
/// `--overlap` after the other. They must be in order.
fn phase_dates(args: &RotateArgs, now: OffsetDateTime) -> anyhow::Result<Dates> {
    let start = args
        .start
        .unwrap_or(now)
        .replace_nanosecond(0)
        .unwrap_or(now);
    let after = |t: OffsetDateTime, flag: &str| {
        t.checked_add(args.overlap)
            .ok_or_else(|| anyhow!("{flag}: --overlap goes past the last date a time can hold"))
    };
    let switch = match args.switch_at {
        Some(t) => t,
        None => after(start, "--switch-at")?,
    };
    let retire = match args.retire_at {
        Some(t) => t,
        None => after(switch, "--retire-at")?,
    };
    if switch <= start {
        bail!(
            "--switch-at must be after the start of phase 1 ({})",
            crate::pki::model::format_time(start)
        );
    }
    if retire <= switch {
        bail!(
            "--retire-at must be after phase 2 (switch) starts ({})",
            crate::pki::model::format_time(switch)
        );
    }
    Ok(Dates {
        start,
        switch,
        retire,
    })
}

fn key_type(args: &RotateArgs, like: &Cert) -> KeyType {
    match args.key_type {
        Some(k) => k.into(),
        None => KeyType::like(&like.key).unwrap_or(KeyType::EcP256),
    }
}

/// A validity of `days` clamped to the issuer's notAfter, with a warning.
fn period(
    now: OffsetDateTime,
    days: u32,
    limit: Option<OffsetDateTime>,
    flag: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Period> {
    let p = issue::validity(now, days, limit).map_err(|e| anyhow!("{flag} {days}: {e}"))?;
    if p.2 {
        warnings.push(format!(
            "{flag} {days} would outlive the issuing CA; clamped to its notAfter"
        ));
    }
    Ok(p)
}

fn make(
    args: &RotateArgs,
    cur: &Current,
    kept: Option<keys::Key>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Output> {
    let old = OldCa {
        cert: &cur.root,
        key: &cur.root_key,
    };
    let old_signer = Signer::existing(&old)?;
    let (root, new_with_old, old_with_new) = match args.what {
        RotateWhat::Intermediate => (None, None, None),
        RotateWhat::Root => {
            let (r, nwo, own) = make_root(args, cur, now, &old_signer)?;
            (Some(r), Some(nwo), Some(own))
        }
    };
    let signer = match &root {
        Some(r) => Signer::made(r),
        None => old_signer,
    };
    let int = make_intermediate(args, cur, kept, now, &signer, warnings)?;
    let p = period(
        now,
        args.server_days,
        Some(int.made.cert.not_after),
        "--server-days",
        warnings,
    )?;
    let (leaf, leaf_key, dropped) =
        rollover::reissue_leaf(&cur.leaf, key_type(args, &cur.leaf), p, &Signer::made(&int))?;
    for d in dropped {
        warnings.push(format!(
            "the server certificate's SAN `{}` is not copied (only DNS and IP SANs are)",
            escape(&d)
        ));
    }
    Ok(Output {
        root,
        new_with_old,
        old_with_new,
        int,
        leaf,
        leaf_key,
    })
}

/// The new intermediate under `signer`: a new key and the next generation's
/// name, or with --keep-key the current key, name and key identifier.
fn make_intermediate(
    args: &RotateArgs,
    cur: &Current,
    kept: Option<keys::Key>,
    now: OffsetDateTime,
    signer: &Signer<'_>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<NewCa> {
    let int_cn = match (&args.intermediate_cn, &kept) {
        (Some(cn), _) => cn.clone(),
        (None, Some(_)) => cn_of(&cur.int),
        (None, None) => rollover::next_generation_cn(&cn_of(&cur.int)),
    };
    let int_dn = rollover::renamed_subject(&cur.int, &int_cn, "the new intermediate")?;
    let limit = Some(signer.cert.not_after);
    let p = period(
        now,
        args.intermediate_days,
        limit,
        "--intermediate-days",
        warnings,
    )?;
    // pathLen, nameConstraints and extendedKeyUsage carry over: a rollover
    // never widens what the intermediate's key may sign.
    let carried = rollover::Carried::from_cert(&cur.int)?;
    Ok(match kept {
        Some(key) => {
            rollover::intermediate_with_key(int_dn, key, cur.int.ski.clone(), &carried, p, signer)?
        }
        None => rollover::new_intermediate(int_dn, key_type(args, &cur.int), &carried, p, signer)?,
    })
}

fn cn_of(c: &Cert) -> String {
    c.common_name().unwrap_or_else(|| c.subject.clone())
}

/// The new root and both cross certificates, each cross certificate valid
/// while both roots are.
fn make_root(
    args: &RotateArgs,
    cur: &Current,
    now: OffsetDateTime,
    old_signer: &Signer<'_>,
) -> anyhow::Result<(NewCa, Made, Made)> {
    let cn = args
        .root_cn
        .clone()
        .unwrap_or_else(|| rollover::next_generation_cn(&cn_of(&cur.root)));
    if cn == cn_of(&cur.root) {
        bail!(
            "--root-cn: the new root needs a name other than the old root's, or clients cannot tell them apart"
        );
    }
    let dn = rollover::renamed_subject(&cur.root, &cn, "the new root")?;
    let p = issue::validity(now, args.root_days, None)
        .map_err(|e| anyhow!("--root-days {}: {e}", args.root_days))?;
    let root = rollover::new_root(dn, key_type(args, &cur.root), p)?;
    let both = (p.0, root.made.cert.not_after.min(cur.root.not_after), false);
    let nwo = rollover::cross(
        &root.made.cert,
        &root.key,
        old_signer,
        both,
        "the NewWithOld cross certificate",
    )?;
    let own = rollover::cross(
        &cur.root,
        &cur.root_key,
        &Signer::made(&root),
        both,
        "the OldWithNew cross certificate",
    )?;
    Ok((root, nwo, own))
}

/// Dates that break clients before the plan says they may break.
fn date_warnings(args: &RotateArgs, cur: &Current, out: &Output, d: &Dates) -> Vec<String> {
    let t = crate::pki::model::format_time;
    let mut w = Vec::new();
    let (old_ca, what) = match args.what {
        RotateWhat::Intermediate => (&cur.int, "intermediate"),
        RotateWhat::Root => (&cur.root, "root"),
    };
    if old_ca.not_after < d.retire {
        w.push(format!(
            "the old {what} expires {}, before phase 3 (retire) starts {}: clients on the old chain fail from then; set --retire-at earlier",
            t(old_ca.not_after),
            t(d.retire)
        ));
    }
    if cur.leaf.not_after < d.switch {
        w.push(format!(
            "the current server certificate expires {}, before phase 2 (switch) starts {}: set --switch-at earlier",
            t(cur.leaf.not_after),
            t(d.switch)
        ));
    }
    if out.leaf.cert.not_after < d.retire {
        w.push(format!(
            "the re-issued server certificate expires {}, before phase 3 (retire) starts {}",
            t(out.leaf.cert.not_after),
            t(d.retire)
        ));
    }
    w
}

fn ca_entry(c: &Cert, file: Option<&str>) -> CaEntry {
    CaEntry {
        subject: c.subject_rfc4514(),
        sha256: hex::encode(c.sha256),
        not_after: c.not_after,
        file: file.map(str::to_owned),
    }
}

fn cross_entry(m: &Made, file: &str, kind: &'static str) -> CrossEntry {
    CrossEntry {
        file: file.to_owned(),
        kind,
        subject: m.cert.subject_rfc4514(),
        issuer: m.cert.issuer_rfc4514(),
        not_after: m.cert.not_after,
    }
}

fn build_plan(
    args: &RotateArgs,
    cur: &Current,
    out: &Output,
    d: &Dates,
    now: OffsetDateTime,
    warnings: Vec<String>,
) -> Plan {
    let root = args.what == RotateWhat::Root;
    let (old_ca, new_ca) = match &out.root {
        Some(r) => (
            ca_entry(&cur.root, None),
            ca_entry(&r.made.cert, Some("root.crt")),
        ),
        None => (
            ca_entry(&cur.int, None),
            ca_entry(&out.int.made.cert, Some("intermediate.crt")),
        ),
    };
    let mut cross = Vec::new();
    if let (Some(nwo), Some(own)) = (&out.new_with_old, &out.old_with_new) {
        cross.push(cross_entry(nwo, NEW_WITH_OLD, "NewWithOld"));
        cross.push(cross_entry(own, OLD_WITH_NEW, "OldWithNew"));
    }
    let files = file_names(args.what)
        .into_iter()
        .map(|(f, secret)| FileEntry {
            file: f.to_owned(),
            content: content_of(f),
            mode: if secret { "0600" } else { "0644" },
        })
        .collect();
    Plan {
        version: crate::report::plan::VERSION,
        kind: args.what.into(),
        created: now.replace_nanosecond(0).unwrap_or(now),
        directory: args.out.display().to_string(),
        old_ca,
        new_ca,
        new_intermediate: ca_entry(&out.int.made.cert, Some("intermediate.crt")),
        cross_certificates: cross,
        bundles: Bundles {
            old: "current",
            transition: TRANSITION.to_owned(),
            new: NEW_BUNDLE.to_owned(),
        },
        files,
        phases: phases(root, d),
        warnings,
    }
}

fn content_of(file: &str) -> &'static str {
    match file {
        "root.crt" => "the new root",
        "root.key" => "the new root's key",
        "root.cer" => "the new root in DER (APIM)",
        NEW_WITH_OLD => "NewWithOld: the new root's name and key, signed by the old root",
        OLD_WITH_NEW => "OldWithNew: the old root's name and key, signed by the new root",
        "intermediate.crt" => "the new intermediate",
        "intermediate.key" => "the new intermediate's key",
        "intermediate.cer" => "the new intermediate in DER (APIM)",
        "server.crt" => "the server certificate re-issued under the new intermediate",
        "server.key" => "its new key",
        FULLCHAIN => "new server certificate + new intermediate",
        OVERLAP => "new server certificate + new intermediate + NewWithOld",
        BRIDGED => "old server certificate + old intermediate + OldWithNew",
        TRANSITION => "CA bundle of the overlap: new and old CAs",
        NEW_BUNDLE => "CA bundle after the rollover: new CAs only",
        _ => "this plan as JSON",
    }
}

fn phases(root: bool, d: &Dates) -> Vec<Phase> {
    let switch_send = if root { OVERLAP } else { FULLCHAIN };
    let switch_action = if root {
        format!(
            "servers send {OVERLAP} with server.key: the new leaf, the new intermediate and the NewWithOld cross certificate, so clients still holding only the old root trust it too"
        )
    } else {
        format!(
            "servers send {FULLCHAIN} with server.key: the leaf re-issued under the new intermediate"
        )
    };
    let retire_action = if root {
        format!(
            "give every client {NEW_BUNDLE} (the new root only) and have servers send {FULLCHAIN} (no cross certificate); a server that must still send the old leaf sends {BRIDGED}; retire the old root and its key"
        )
    } else {
        format!(
            "give every client {NEW_BUNDLE} (without the old intermediate); retire the old intermediate and its key"
        )
    };
    vec![
        Phase {
            phase: 1,
            name: "distribute",
            start: d.start,
            end: Some(d.switch),
            clients_get: Some(TRANSITION.to_owned()),
            servers_send: "current".to_owned(),
            server_key: None,
            bundles_in_use: vec!["old", "transition"],
            action: format!(
                "give every client {TRANSITION} (old and new CAs); servers keep sending the current chain"
            ),
        },
        Phase {
            phase: 2,
            name: "switch",
            start: d.switch,
            end: Some(d.retire),
            clients_get: None,
            servers_send: switch_send.to_owned(),
            server_key: Some("server.key".to_owned()),
            bundles_in_use: vec!["old", "transition"],
            action: switch_action,
        },
        Phase {
            phase: 3,
            name: "retire",
            start: d.retire,
            end: None,
            clients_get: Some(NEW_BUNDLE.to_owned()),
            servers_send: FULLCHAIN.to_owned(),
            server_key: Some("server.key".to_owned()),
            bundles_in_use: vec!["transition", "new"],
            action: retire_action,
        },
    ]
}

fn key_pem(k: &keys::Key, password: Option<&str>) -> anyhow::Result<Vec<u8>> {
    Ok(keys::to_pem(k, password)
        .map_err(|e| anyhow!("encoding a key: {e}"))?
        .as_bytes()
        .to_vec())
}

/// The files of this run, as one set.
fn files(
    dir: &Path,
    cur: &Current,
    out: &Output,
    plan: &Plan,
    pw: Option<&str>,
) -> anyhow::Result<WriteSet> {
    let mut w = WriteSet::new();
    let mut add =
        |name: &str, bytes: Vec<u8>, secret: bool| w.add(dir.join(name), bytes, mode(secret));
    let (int, leaf) = (&out.int.made.pem, &out.leaf.pem);
    let (old_int, old_root) = (cur.int.to_pem(), cur.root.to_pem());
    let new_root = out.root.as_ref().map(|r| r.made.pem.clone());
    if let (Some(r), Some(rp)) = (&out.root, &new_root) {
        add("root.crt", rp.clone().into_bytes(), false);
        add("root.key", key_pem(&r.key, pw)?, true);
        add("root.cer", r.made.cert.der.clone(), false);
    }
    if let (Some(nwo), Some(own)) = (&out.new_with_old, &out.old_with_new) {
        add(NEW_WITH_OLD, nwo.pem.clone().into_bytes(), false);
        add(OLD_WITH_NEW, own.pem.clone().into_bytes(), false);
    }
    add("intermediate.crt", int.clone().into_bytes(), false);
    add("intermediate.key", key_pem(&out.int.key, pw)?, true);
    add("intermediate.cer", out.int.made.cert.der.clone(), false);
    add("server.crt", leaf.clone().into_bytes(), false);
    add("server.key", key_pem(&out.leaf_key, pw)?, true);
    add(FULLCHAIN, format!("{leaf}{int}").into_bytes(), false);
    if let (Some(nwo), Some(own)) = (&out.new_with_old, &out.old_with_new) {
        add(
            OVERLAP,
            format!("{leaf}{int}{}", nwo.pem).into_bytes(),
            false,
        );
        let old_leaf = cur.leaf.to_pem();
        add(
            BRIDGED,
            format!("{old_leaf}{old_int}{}", own.pem).into_bytes(),
            false,
        );
    }
    let (transition, new_bundle) = match &new_root {
        Some(rp) => (
            format!("{int}{old_int}{rp}{old_root}"),
            format!("{int}{rp}"),
        ),
        None => (
            format!("{int}{old_int}{old_root}"),
            format!("{int}{old_root}"),
        ),
    };
    add(TRANSITION, transition.into_bytes(), false);
    add(NEW_BUNDLE, new_bundle.into_bytes(), false);
    add(PLAN_FILE, plan.to_json().into_bytes(), false);
    Ok(w)
}
