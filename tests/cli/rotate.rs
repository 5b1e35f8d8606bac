//! `rotate`: CA rollover. The files, the plan and the refusals, then the
//! outside-validator matrix of docs/rotation.md: {old, transition, new
//! bundle} × {the served chain of each phase}, judged by `openssl verify`,
//! `openssl s_server` + `s_client`, Python `ssl`, curl and Go (the client
//! harness of tests/clients/). Nothing in the verdicts comes from chainsmith;
//! which cells must work comes from chainsmith's own plan JSON.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use serde_json::Value;

use crate::support::*;

fn rotate(dir: &Path, what: &str, out: &str, extra: &[&str]) -> PathBuf {
    let o = dir.join(out);
    chainsmith()
        .current_dir(dir)
        .args(["rotate", what, "--from", "chain", "-o", out])
        .args(extra)
        .assert()
        .success();
    o
}

fn plan(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("rotation-plan.json")).unwrap()).unwrap()
}

/// Python with pyca/cryptography, or a loud skip.
fn have_pyca() -> bool {
    if !have("python3") {
        return false;
    }
    let (ok, out) = run(StdCommand::new("python3").args(["-c", "import cryptography"]));
    if !ok {
        cannot_run(&format!("python3 cannot import cryptography: {out}"));
    }
    ok
}

/// What pyca/cryptography says about the root rollover's files.
const PYCA_CHECK: &str = r#"
import sys, json
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser
d, old = sys.argv[1], sys.argv[2]
def one(p): return x509.load_pem_x509_certificate(open(p, "rb").read())
def many(p): return x509.load_pem_x509_certificates(open(p, "rb").read())
new_root, old_root = one(d + "/root.crt"), one(old + "/root.crt")
nwo, own = one(d + "/new-root-signed-by-old.crt"), one(d + "/old-root-signed-by-new.crt")
def ski(c): return c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
def pub(c): return c.public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
out = {}
nwo.verify_directly_issued_by(old_root)
own.verify_directly_issued_by(new_root)
out["nwo"] = [nwo.subject == new_root.subject, pub(nwo) == pub(new_root), ski(nwo) == ski(new_root), nwo.issuer == old_root.subject]
out["own"] = [own.subject == old_root.subject, pub(own) == pub(old_root), ski(own) == ski(old_root), own.issuer == new_root.subject]
out["counts"] = {f: len(many(d + "/" + f)) for f in ["ca-bundle-transition.crt", "ca-bundle.crt", "server-fullchain-overlap.crt", "server-fullchain.crt", "old-server-fullchain-bridged.crt"]}
out["new_root_differs"] = new_root.subject != old_root.subject and pub(new_root) != pub(old_root)
print(json.dumps(out))
"#;

#[test]
fn root_rollover_files_are_what_pyca_says_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let out = rotate(tmp.path(), "root", "r", &[]);
    let p = plan(&out);
    // Every file the plan names exists; keys are 0600, the rest 0644.
    for f in p["files"].as_array().unwrap() {
        let path = out.join(f["file"].as_str().unwrap());
        let meta = std::fs::metadata(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let want = if f["file"].as_str().unwrap().ends_with(".key") {
                0o600
            } else {
                0o644
            };
            assert_eq!(
                meta.permissions().mode() & 0o777,
                want,
                "{}",
                path.display()
            );
            assert_eq!(f["mode"], if want == 0o600 { "0600" } else { "0644" });
        }
        assert!(meta.len() > 0);
    }
    if !have_pyca() {
        return;
    }
    let (ok, text) = run(StdCommand::new("python3")
        .args(["-c", PYCA_CHECK])
        .arg(&out)
        .arg(&chain));
    assert!(ok, "{text}");
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        v["nwo"],
        serde_json::json!([true, true, true, true]),
        "NewWithOld: {v}"
    );
    assert_eq!(
        v["own"],
        serde_json::json!([true, true, true, true]),
        "OldWithNew: {v}"
    );
    assert_eq!(v["new_root_differs"], true);
    // Target limits: APIM and AKS take at most 10 certificates.
    let counts = v["counts"].as_object().unwrap();
    assert_eq!(counts["ca-bundle-transition.crt"], 4);
    assert_eq!(counts["ca-bundle.crt"], 2);
    assert_eq!(counts["server-fullchain-overlap.crt"], 3);
    for (f, n) in counts {
        assert!(n.as_u64().unwrap() <= 10, "{f}: {n}");
    }
}

#[test]
fn reissued_leaf_keeps_subject_and_sans_with_a_new_key() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let chain = generate_chain(tmp.path(), &[]);
    let out = rotate(tmp.path(), "intermediate", "i", &[]);
    let show = |f: &Path, what: &[&str]| {
        let mut args = vec!["x509", "-noout", "-in", f.to_str().unwrap()];
        args.extend_from_slice(what);
        let (ok, o) = openssl(tmp.path(), &args);
        assert!(ok, "{o}");
        o
    };
    let (old, new) = (chain.join("server.crt"), out.join("server.crt"));
    assert_eq!(show(&old, &["-subject"]), show(&new, &["-subject"]));
    assert_eq!(
        show(&old, &["-ext", "subjectAltName"]),
        show(&new, &["-ext", "subjectAltName"])
    );
    assert_ne!(show(&old, &["-pubkey"]), show(&new, &["-pubkey"]));
    assert!(show(&new, &["-issuer"]).contains("chainsmith Intermediate CA G2"));
    // The key written is the key of the certificate.
    let (ok, k) = openssl(
        tmp.path(),
        &[
            "pkey",
            "-pubout",
            "-in",
            out.join("server.key").to_str().unwrap(),
        ],
    );
    assert!(ok, "{k}");
    assert_eq!(k, show(&new, &["-pubkey"]));
}

#[test]
fn plan_dates_follow_overlap_or_explicit_dates() {
    let tmp = tempfile::tempdir().unwrap();
    generate_chain(tmp.path(), &[]);
    let out = rotate(
        tmp.path(),
        "root",
        "r",
        &["--start", "2030-01-01T00:00:00Z", "--overlap", "45d"],
    );
    let p = plan(&out);
    let starts: Vec<&str> = field_of_each(&p["phases"], "start");
    assert_eq!(
        starts,
        [
            "2030-01-01T00:00:00Z",
            "2030-02-15T00:00:00Z",
            "2030-04-01T00:00:00Z"
        ]
    );
    assert_eq!(p["phases"][2]["end"], Value::Null);
    assert_eq!(
        p["phases"][1]["servers_send"],
        "server-fullchain-overlap.crt"
    );
    assert_eq!(p["kind"], "root");

    // Explicit dates, and --format json prints what the file holds.
    let o = chainsmith()
        .current_dir(tmp.path())
        .args([
            "rotate",
            "intermediate",
            "--from",
            "chain",
            "-o",
            "i",
            "--format",
            "json",
        ])
        .args([
            "--start",
            "2031-05-01T08:00:00Z",
            "--switch-at",
            "2031-05-02T08:00:00Z",
        ])
        .args(["--retire-at", "2031-06-01T00:00:00+02:00"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let printed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, plan(&tmp.path().join("i")));
    assert_eq!(printed["phases"][2]["start"], "2031-05-31T22:00:00Z");
    assert_eq!(printed["phases"][1]["servers_send"], "server-fullchain.crt");
}

/// `rotate ARGS MORE` in `d` exits 2 and says `says`.
fn refused(d: &Path, args: &[&str], more: &[&str], says: &str) {
    chainsmith()
        .current_dir(d)
        .arg("rotate")
        .args(args)
        .args(more)
        .refused(says);
}

#[test]
fn refusals_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let d = tmp.path();
    // Dates out of order: nothing written.
    refused(
        d,
        &["root", "--from", "chain", "-o", "bad"],
        &[
            "--start",
            "2030-01-01T00:00:00Z",
            "--switch-at",
            "2029-01-01T00:00:00Z",
        ],
        "--switch-at must be after",
    );
    assert!(!d.join("bad").exists());
    let explicit = [
        "--intermediate",
        "chain/intermediate.crt",
        "--leaf",
        "chain/server.crt",
        "-o",
        "bad",
    ];
    // A CA key that is not the CA's.
    refused(
        d,
        &[
            "root",
            "--ca",
            "chain/root.crt",
            "--ca-key",
            "chain/intermediate.key",
        ],
        &explicit,
        "chain/intermediate.key: this key does not match",
    );
    // `rotate root` of a CA that is not a root.
    refused(
        d,
        &[
            "root",
            "--ca",
            "chain/intermediate.crt",
            "--ca-key",
            "chain/intermediate.key",
        ],
        &explicit,
        "is not a self-signed root",
    );
    // A leaf the intermediate did not issue.
    refused(
        d,
        &[
            "intermediate",
            "--from",
            "chain",
            "--leaf",
            "chain/intermediate.crt",
        ],
        &["-o", "bad"],
        "was not issued by",
    );
    assert!(!d.join("bad").exists());

    // An existing set is not replaced without --force, byte for byte.
    let out = rotate(d, "root", "r", &[]);
    let before = std::fs::read(out.join("root.key")).unwrap();
    refused(d, &["root", "--from", "chain", "-o", "r"], &[], "--force");
    assert_eq!(std::fs::read(out.join("root.key")).unwrap(), before);
    rotate(d, "root", "r", &["--force"]);
    assert_ne!(std::fs::read(out.join("root.key")).unwrap(), before);
    // The chain rotated from is never touched.
    assert!(chain.join("root.key").exists());
}

#[test]
fn bad_inputs_are_one_line_naming_the_file_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let cases: [(&str, &[u8], &str); 3] = [
        ("root.crt", b"garbage\n", "root.crt: no certificate found"),
        (
            "root.key",
            &[0x30, 0x82, 0xff, 0xff, 0x00],
            "root.key: no private key found",
        ),
        ("intermediate.crt", b"", "intermediate.crt"),
    ];
    for (file, bytes, want) in cases {
        let d = tmp.path().join(format!("bad-{file}"));
        std::fs::create_dir(&d).unwrap();
        for f in ["root.crt", "root.key", "intermediate.crt", "server.crt"] {
            std::fs::copy(chain.join(f), d.join(f)).unwrap();
        }
        std::fs::write(d.join(file), bytes).unwrap();
        let out = chainsmith()
            .args(["rotate", "root", "--from"])
            .arg(&d)
            .arg("-o")
            .arg(d.join("out"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{file}: {err}");
        assert!(err.contains(want), "{file}: {err}");
        assert!(!d.join("out").exists(), "{file}");
    }
}

#[test]
fn encrypted_new_keys_open_with_openssl_and_roll_over_again() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let d = tmp.path();
    generate_chain(d, &[]);
    std::fs::write(d.join("pw"), "rotate-pass\n").unwrap();
    rotate(d, "root", "r", &["--encrypt-keys", "--password-file", "pw"]);
    for k in ["root.key", "intermediate.key", "server.key"] {
        let key = format!("r/{k}");
        let text = std::fs::read_to_string(d.join(&key)).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            "{k}"
        );
        let (ok, _) = openssl(d, &["pkey", "-in", &key, "-passin", "pass:wrong", "-noout"]);
        assert!(!ok, "{k} opens with a wrong password");
        let (ok, out) = openssl(d, &["pkey", "-in", &key, "-passin", "file:pw", "-noout"]);
        assert!(ok, "{k}: {out}");
    }
    // The rotated directory is itself a chain directory: roll it over again,
    // opening its encrypted root key.
    chainsmith()
        .current_dir(d)
        .args([
            "rotate",
            "intermediate",
            "--from",
            "r",
            "-o",
            "r2",
            "--ca-key-password-file",
            "pw",
        ])
        .assert()
        .success();
    let (ok, out) = openssl_verify(d, "r/root.crt", "r2/intermediate.crt", "r2/server.crt");
    assert!(ok, "{out}");
    // A password without --encrypt-keys is refused, not ignored.
    refused(
        d,
        &[
            "root",
            "--from",
            "chain",
            "-o",
            "r3",
            "--password-file",
            "pw",
        ],
        &[],
        "--encrypt-keys",
    );
    assert!(!d.join("r3").exists());
}

#[test]
fn keep_key_recertifies_the_intermediate_so_old_leaves_chain_to_it() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let d = tmp.path();
    generate_chain(d, &[]);
    rotate(d, "intermediate", "k", &["--keep-key"]);
    let show = |f: &str, what: &str| {
        let (ok, o) = openssl(d, &["x509", "-noout", "-in", f, what]);
        assert!(ok, "{o}");
        o
    };
    for what in ["-pubkey", "-subject"] {
        assert_eq!(
            show("chain/intermediate.crt", what),
            show("k/intermediate.crt", what),
            "{what}"
        );
    }
    assert_ne!(
        show("chain/intermediate.crt", "-serial"),
        show("k/intermediate.crt", "-serial")
    );
    // The old leaf, with only the re-certified intermediate beside it.
    let (ok, out) = openssl_verify(
        d,
        "chain/root.crt",
        "k/intermediate.crt",
        "chain/server.crt",
    );
    assert!(ok, "{out}");
    // Refusals: a root keeps no key, and the key must be the intermediate's.
    refused(
        d,
        &["root", "--from", "chain", "--keep-key", "-o", "bad"],
        &[],
        "--keep-key re-certifies an intermediate",
    );
    chainsmith()
        .current_dir(d)
        .args(["rotate", "intermediate", "--from", "chain", "--keep-key"])
        .args(["--intermediate-key", "chain/server.key", "-o", "bad"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "chain/server.key: this key does not match the intermediate",
        ));
    assert!(!d.join("bad").exists());
}

// ---------------------------------------------------------------------------
// The outside-validator matrix (docs/rotation.md).

/// The tools the matrix needs; `.ci/run` installs them.
const TOOLS: &[&str] = &["python3", "openssl", "curl", "go"];
/// Real clients of tests/clients/run_clients.py that judge each cell.
const CLIENTS: &str = "s_client,python,curl,go";
const DOC: &str = "docs/rotation.md";
const START: &str = "<!-- rotation-matrix:start -->";
const END: &str = "<!-- rotation-matrix:end -->";
const BUNDLES: [&str; 3] = ["old", "transition", "new"];

/// One served chain of the matrix: a row.
struct Row {
    label: String,
    served: PathBuf,
    key: PathBuf,
    /// The plan's phases in which servers send it.
    phases: Vec<u64>,
}

/// One rollover: its rows, its bundles, and the cells the plan says must work.
struct Rollover {
    kind: &'static str,
    rows: Vec<Row>,
    bundles: BTreeMap<&'static str, PathBuf>,
    required: Vec<(usize, &'static str)>,
}

fn rollover(tmp: &Path, chain: &Path, kind: &'static str) -> Rollover {
    let out = rotate(tmp, kind, kind, &[]);
    let p = plan(&out);
    let current = chain.join("server-fullchain.crt");
    let mut rows = vec![Row {
        label: "old leaf, the current chain".into(),
        served: current.clone(),
        key: chain.join("server.key"),
        phases: vec![],
    }];
    if kind == "root" {
        rows.push(Row {
            label: "old leaf, `old-server-fullchain-bridged.crt`".into(),
            served: out.join("old-server-fullchain-bridged.crt"),
            key: chain.join("server.key"),
            phases: vec![],
        });
        rows.push(Row {
            label: "new leaf, `server-fullchain-overlap.crt`".into(),
            served: out.join("server-fullchain-overlap.crt"),
            key: out.join("server.key"),
            phases: vec![],
        });
    }
    rows.push(Row {
        label: "new leaf, `server-fullchain.crt`".into(),
        served: out.join("server-fullchain.crt"),
        key: out.join("server.key"),
        phases: vec![],
    });
    let mut required = Vec::new();
    for ph in p["phases"].as_array().unwrap() {
        let send = ph["servers_send"].as_str().unwrap();
        let served = if send == "current" {
            current.clone()
        } else {
            out.join(send)
        };
        let r = rows
            .iter()
            .position(|r| r.served == served)
            .unwrap_or_else(|| panic!("plan serves {send}, not a row"));
        rows[r].phases.push(ph["phase"].as_u64().unwrap());
        for b in ph["bundles_in_use"].as_array().unwrap() {
            let b = BUNDLES
                .into_iter()
                .find(|x| *x == b.as_str().unwrap())
                .unwrap();
            required.push((r, b));
        }
    }
    let mut bundles = BTreeMap::new();
    bundles.insert("old", chain.join("ca-bundle.crt"));
    bundles.insert(
        "transition",
        out.join(p["bundles"]["transition"].as_str().unwrap()),
    );
    bundles.insert("new", out.join(p["bundles"]["new"].as_str().unwrap()));
    Rollover {
        kind,
        rows,
        bundles,
        required,
    }
}

fn cell_id(kind: &str, row: usize, bundle: &str) -> String {
    format!("{kind}-{row}-{bundle}")
}

/// One scenario directory of tests/clients/ per cell.
fn scenarios(base: &Path, r: &Rollover) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for (i, row) in r.rows.iter().enumerate() {
        for b in BUNDLES {
            let id = cell_id(r.kind, i, b);
            let d = base.join(&id);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::copy(&row.served, d.join("served.pem")).unwrap();
            std::fs::copy(&row.key, d.join("key.pem")).unwrap();
            std::fs::copy(&r.bundles[b], d.join("trust.pem")).unwrap();
            let meta = serde_json::json!({"id": id, "description": row.label, "host": "www.example.com", "at": null});
            std::fs::write(d.join("scenario.json"), meta.to_string()).unwrap();
            dirs.push(d);
        }
    }
    dirs
}

/// `openssl verify -CAfile BUNDLE -untrusted SERVED LEAF` of a cell.
fn openssl_verifies_cell(dir: &Path) -> bool {
    let leaf = dir.join("leaf.pem");
    let served = std::fs::read_to_string(dir.join("served.pem")).unwrap();
    let end =
        served.find("-----END CERTIFICATE-----").unwrap() + "-----END CERTIFICATE-----\n".len();
    std::fs::write(&leaf, &served[..end]).unwrap();
    let (ok, _) = openssl_verify(dir, "trust.pem", "served.pem", "leaf.pem");
    ok
}

/// Each cell's verdict from every tool: tool -> trusted.
type Verdicts = BTreeMap<String, BTreeMap<&'static str, bool>>;

fn measure(dirs: &[PathBuf], work: &Path) -> Verdicts {
    let json = work.join("results.json");
    let (ok, out) = run(StdCommand::new("python3")
        .arg(repo().join("tests/clients/run_clients.py"))
        .args(dirs)
        .arg("--json")
        .arg(&json)
        .args(["--clients", CLIENTS, "--timeout", "120"]));
    assert!(ok, "run_clients.py failed: {out}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut verdicts = Verdicts::new();
    for d in dirs {
        let id = d.file_name().unwrap().to_string_lossy().into_owned();
        let mut cell = BTreeMap::new();
        cell.insert("openssl verify", openssl_verifies_cell(d));
        for c in CLIENTS.split(',') {
            let name: &'static str = match c {
                "s_client" => "s_client",
                "python" => "python",
                "curl" => "curl",
                _ => "go",
            };
            cell.insert(name, v["results"][&id][c]["trusted"].as_bool().unwrap());
        }
        verdicts.insert(id, cell);
    }
    verdicts
}

fn cell_text(cell: &BTreeMap<&'static str, bool>, required: bool) -> String {
    let ok: Vec<&str> = cell.iter().filter(|(_, v)| **v).map(|(k, _)| *k).collect();
    let text = if ok.len() == cell.len() {
        "ok".to_owned()
    } else if ok.is_empty() {
        "fails".to_owned()
    } else {
        format!("ok only: {}", ok.join(", "))
    };
    if required {
        format!("**{text}**")
    } else {
        text
    }
}

fn table(r: &Rollover, v: &Verdicts) -> String {
    let mut s = format!(
        "{} rollover:\n\n| served chain | served in phase | old bundle | transition bundle | new bundle |\n|---|---|---|---|---|\n",
        if r.kind == "root" {
            "Root"
        } else {
            "Intermediate"
        }
    );
    for (i, row) in r.rows.iter().enumerate() {
        let phases = if row.phases.is_empty() {
            "(none; a fallback)".to_owned()
        } else {
            row.phases
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!("| {} | {phases} |", row.label));
        for b in BUNDLES {
            let req = r.required.contains(&(i, b));
            s.push_str(&format!(
                " {} |",
                cell_text(&v[&cell_id(r.kind, i, b)], req)
            ));
        }
        s.push('\n');
    }
    s
}

#[test]
fn rollover_matrix_holds_for_outside_validators() {
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !have(t)).collect();
    if !missing.is_empty() || !have_pyca() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &[]);
    let rollovers = [
        rollover(tmp.path(), &chain, "intermediate"),
        rollover(tmp.path(), &chain, "root"),
    ];
    let cells = tmp.path().join("cells");
    let dirs: Vec<PathBuf> = rollovers
        .iter()
        .flat_map(|r| scenarios(&cells, r))
        .collect();
    let verdicts = measure(&dirs, tmp.path());

    // No cell fails where the plan says clients must work.
    for r in &rollovers {
        for &(i, b) in &r.required {
            let cell = &verdicts[&cell_id(r.kind, i, b)];
            let failing: Vec<&&str> = cell.iter().filter(|(_, v)| !**v).map(|(k, _)| k).collect();
            assert!(
                failing.is_empty(),
                "{} rollover, {} with the {b} bundle: the plan says clients must trust it, but {failing:?} do not",
                r.kind,
                r.rows[i].label
            );
        }
    }
    // The validators must be able to say no: the root rollover's final chain
    // is refused by every one of them for a client holding only the old root.
    let root = &rollovers[1];
    let last = root.rows.len() - 1;
    assert!(verdicts[&cell_id("root", last, "old")].values().all(|v| !v));

    let tables: Vec<String> = rollovers.iter().map(|r| table(r, &verdicts)).collect();
    let measured = format!("{START}\n{}{END}", tables.join("\n"));
    let doc_path = repo().join(DOC);
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let (a, b) = (
        doc.find(START).expect("no matrix start marker"),
        doc.find(END).expect("no matrix end marker"),
    );
    let in_doc = &doc[a..b + END.len()];
    if std::env::var_os("UPDATE_ROTATION_MATRIX").is_some() {
        std::fs::write(&doc_path, doc.replace(in_doc, &measured)).unwrap();
        return;
    }
    assert_eq!(
        in_doc, measured,
        "{DOC}'s matrix is stale: rerun with UPDATE_ROTATION_MATRIX=1 and review the diff"
    );
}

/// A rolled-over intermediate keeps the nameConstraints (critical) and the
/// pathLenConstraint of the one it replaces, as openssl reads them: a
/// rollover never widens what the intermediate's key may sign.
#[test]
fn intermediate_rollover_keeps_name_constraints_and_path_length() {
    let tmp = tempfile::tempdir().unwrap();
    let chain = generate_chain(tmp.path(), &["--permit-dns", "example.com"]);
    let out = tmp.path().join("rotated");
    chainsmith()
        .args(["rotate", "intermediate", "--from"])
        .arg(&chain)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    for dir in [&chain, &out] {
        let text = openssl_ext(
            tmp.path(),
            dir.join("intermediate.crt").to_str().unwrap(),
            "nameConstraints,basicConstraints",
        );
        assert!(text.contains("X509v3 Name Constraints: critical"), "{text}");
        assert!(text.contains("DNS:example.com"), "{text}");
        assert!(text.contains("pathlen:0"), "{text}");
    }
}

/// An intermediate made by openssl with extendedKeyUsage serverAuth and
/// clientAuth (critical or not), rotated: openssl reads the same EKU, with
/// the same criticality, on the new intermediate, and still verifies the
/// re-issued leaf for TLS server use (`-purpose sslserver` checks EKU on
/// the CAs of the path, as OpenSSL clients do).
#[test]
fn intermediate_rollover_keeps_extended_key_usage() {
    let Some(tmp) = tempdir_with(&["openssl"]) else {
        return;
    };
    let d = tmp.path();
    openssl_ca(d, "root", "EKU Test Root");
    for critical in ["", "critical,"] {
        let exts = format!(
            "basicConstraints=critical,CA:TRUE,pathlen:0\n\
             keyUsage=critical,keyCertSign,cRLSign,digitalSignature\n\
             extendedKeyUsage={critical}serverAuth,clientAuth\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
        );
        std::fs::write(d.join("int.ext"), exts).unwrap();
        openssl_p256_csr(d, "int.key", "int.csr", "/CN=EKU Test Intermediate");
        openssl_ok(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "int.csr",
                "-CA",
                "root.crt",
                "-CAkey",
                "root.key",
                "-set_serial",
                "7",
                "-days",
                "20",
                "-extfile",
                "int.ext",
                "-out",
                "int.crt",
            ],
        );
        let leaf = d.join("leaf");
        let _ = std::fs::remove_dir_all(&leaf);
        issue("int.crt", "int.key")
            .san("api.example.com")
            .out(&leaf)
            .current_dir(d)
            .assert()
            .success();
        let out = d.join("rotated");
        let _ = std::fs::remove_dir_all(&out);
        chainsmith()
            .current_dir(d)
            .args([
                "rotate",
                "intermediate",
                "--ca",
                "root.crt",
                "--ca-key",
                "root.key",
            ])
            .args([
                "--intermediate",
                "int.crt",
                "--leaf",
                "leaf/server.crt",
                "-o",
                "rotated",
            ])
            .assert()
            .success();
        let eku = |cert: &str| openssl_ext(d, cert, "extendedKeyUsage");
        let (old, new) = (eku("int.crt"), eku("rotated/intermediate.crt"));
        assert!(
            new.contains("TLS Web Server Authentication, TLS Web Client Authentication"),
            "{new}"
        );
        assert_eq!(
            old.contains("critical"),
            new.contains("critical"),
            "old: {old}\nnew: {new}"
        );
        assert_eq!(!critical.is_empty(), new.contains("critical"), "{new}");
        let (ok, text) = openssl(
            d,
            &[
                "verify",
                "-purpose",
                "sslserver",
                "-CAfile",
                "root.crt",
                "-untrusted",
                "rotated/intermediate.crt",
                "rotated/server.crt",
            ],
        );
        assert!(ok, "{text}");
    }
}
