//! `zkconsent demo --parties --dir D`: the demo's story with each party in its own home
//! under `D`, each step a separate `zkconsent` process (the commands a deployment runs,
//! printed as they run), a registry service and a verifier service on free local ports, and
//! the hand-offs as files. It ends by listing which secrets each home holds.

use crate::{output::Out, Failure};
use serde_json::{json, Value};
use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// The hospital's anchoring token in the demo (a real one is random and kept secret).
const DEMO_CUSTODIAN_TOKEN: &str = "demo-st-mary-custodian-token";
/// How long the demo waits for a service's HTTP answer.
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// The parties' homes, each a directory under the demo's.
struct Homes {
    operator: PathBuf,
    alice: PathBuf,
    bob: PathBuf,
    hospital: PathBuf,
}

/// A service child process, stopped on drop.
struct Service {
    child: Child,
    url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn run(dir: &Path, depth: usize, out: &mut Out) -> Result<(), Failure> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Failure::malformed(format!(
            "{} is not empty; give --dir a new directory",
            dir.display()
        )));
    }
    let io = |e: std::io::Error| Failure::malformed(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let homes = Homes {
        operator: dir.join("registry-operator"),
        alice: dir.join("alice-phone"),
        bob: dir.join("dr-bob-ehr"),
        hospital: dir.join("st-mary-hospital"),
    };
    let file = |name: &str| dir.join(name).display().to_string();

    step(
        out,
        "The registry operator runs setup and serves the registry",
    );
    zk(
        out,
        &homes.operator,
        &["setup", "--depth", &depth.to_string()],
    )?;
    let tokens = file("custodian-tokens.txt");
    std::fs::write(&tokens, format!("st-mary {DEMO_CUSTODIAN_TOKEN}\n")).map_err(io)?;
    let registry = start(
        out,
        &homes.operator,
        &["registry", "serve", "--custodian-tokens", &tokens],
    )?;

    step(
        out,
        "Each party joins from its own machine (params checked against the registry's manifest)",
    );
    let token_file = file("st-mary.token");
    std::fs::write(&token_file, DEMO_CUSTODIAN_TOKEN).map_err(io)?;
    for home in [&homes.alice, &homes.bob] {
        zk(out, home, &["--registry", &registry.url, "join"])?;
    }
    zk(
        out,
        &homes.hospital,
        &[
            "--registry",
            &registry.url,
            "join",
            "--token-file",
            &token_file,
        ],
    )?;

    step(
        out,
        "Each creates its identity: the secret stays home, the public id is registered",
    );
    zk(
        out,
        &homes.alice,
        &["identity", "new", "alice", "--role", "patient"],
    )?;
    zk(
        out,
        &homes.bob,
        &["identity", "new", "dr-bob", "--role", "clinician"],
    )?;
    zk(
        out,
        &homes.hospital,
        &["identity", "new", "st-mary", "--role", "verifier"],
    )?;

    step(
        out,
        "Dr Bob hands Alice his card; Alice grants him access, sealed to his key",
    );
    let card = file("dr-bob.card.json");
    zk(
        out,
        &homes.bob,
        &["identity", "export", "dr-bob", "--out", &card],
    )?;
    zk(out, &homes.alice, &["identity", "import", &card])?;
    let credential = file("grant-for-dr-bob.cred");
    let issued = zk(
        out,
        &homes.alice,
        &[
            "--json",
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee-card",
            &card,
            "--scope",
            "conditions,observations",
            "--purpose",
            "treatment",
            "--days",
            "30",
            "--out",
            &credential,
        ],
    )?;
    let index = issued["index"].as_u64().unwrap_or_default().to_string();
    zk(out, &homes.bob, &["grant", "accept", &credential])?;

    step(
        out,
        "St Mary's verifier service asks for access; Dr Bob proves from his replica",
    );
    let verifier = start(out, &homes.hospital, &["serve"])?;
    let request_body = json!({"statement": "access", "verifier": "st-mary", "patient": "alice",
                              "scope": "observations", "purpose": "treatment"});
    let request = post(out, &format!("{}/v1/requests", verifier.url), &request_body)?.2;
    let request_file = file("request.json");
    write_text(&request_file, &request)?;
    let proof_file = file("proof.json");
    zk(
        out,
        &homes.bob,
        &[
            "prove",
            "access",
            "--grant",
            &index,
            "--request",
            &request_file,
            "--out",
            &proof_file,
        ],
    )?;
    let proof = std::fs::read_to_string(&proof_file)
        .map_err(|e| Failure::malformed(format!("{proof_file}: {e}")))?;
    let verify_url = format!("{}/v1/verify", verifier.url);
    let body = json!({"request": request, "proof": proof});
    let (status, ..) = post(out, &verify_url, &body)?;
    expect_status(status, 200, "the proof")?;
    let (status, ..) = post(out, &verify_url, &body)?;
    expect_status(status, 422, "the same proof again (consumed)")?;

    step(
        out,
        "Alice revokes from her phone; Dr Bob can no longer prove",
    );
    zk(out, &homes.alice, &["grant", "revoke", &index])?;
    let request2 = post(out, &format!("{}/v1/requests", verifier.url), &request_body)?.2;
    let request2_file = file("request-after-revocation.json");
    write_text(&request2_file, &request2)?;
    let refused = run_zk(
        &homes.bob,
        &[
            "prove",
            "access",
            "--grant",
            &index,
            "--request",
            &request2_file,
            "--out",
            &file("refused.json"),
        ],
    )?;
    out.progress(&format!(
        "  dr-bob's proof after the revocation: {}",
        if refused.0 == Some(0) {
            "made (unexpected)"
        } else {
            "refused"
        }
    ));

    step(out, "Which secrets each home holds");
    let mut holdings = serde_json::Map::new();
    for (party, home) in [
        ("registry operator", &homes.operator),
        ("alice (patient)", &homes.alice),
        ("dr-bob (clinician)", &homes.bob),
        ("st-mary (verifier)", &homes.hospital),
    ] {
        let list = zk_quiet(home, &["--json", "identity", "list"])?;
        let mine: Vec<String> = list["identities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["in_wallet"] == true)
            .filter_map(|i| i["name"].as_str().map(str::to_owned))
            .collect();
        let grants = zk_quiet(home, &["--json", "grant", "list"])?;
        let openings = grants["grants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| g.get("not_before").is_some())
            .count();
        out.progress(&format!(
            "  {party:<20} {}: secrets {:?}, grant openings {openings}",
            home.display(),
            mine
        ));
        holdings.insert(
            party.into(),
            json!({"secrets": mine, "grant_openings": openings}),
        );
    }
    drop(verifier);
    drop(registry);
    out.result(
        &format!("demo --parties done in {}", dir.display()),
        json!({"ok": true, "dir": dir.display().to_string(), "homes": holdings}),
    );
    Ok(())
}

fn step(out: &mut Out, title: &str) {
    out.progress(&format!("\n== {title}"));
}

/// Runs `zkconsent --home HOME ARGS` as its own process, showing the command and its
/// output; a failure stops the demo. Returns the output parsed as JSON when it is JSON.
fn zk(out: &mut Out, home: &Path, args: &[&str]) -> Result<Value, Failure> {
    out.progress(&format!(
        "$ zkconsent --home {} {}",
        home.display(),
        args.join(" ")
    ));
    let (code, stdout, stderr) = run_zk(home, args)?;
    for line in stdout.lines().chain(stderr.lines()) {
        out.progress(&format!("  {line}"));
    }
    if code != Some(0) {
        return Err(Failure::malformed(format!(
            "demo step failed: zkconsent {}",
            args.join(" ")
        )));
    }
    Ok(serde_json::from_str(&stdout).unwrap_or(Value::Null))
}

/// [`zk`] without showing it (for the closing summary).
fn zk_quiet(home: &Path, args: &[&str]) -> Result<Value, Failure> {
    let (code, stdout, _) = run_zk(home, args)?;
    if code != Some(0) {
        return Err(Failure::malformed(format!(
            "zkconsent {} failed",
            args.join(" ")
        )));
    }
    serde_json::from_str(&stdout).map_err(Failure::malformed)
}

fn run_zk(home: &Path, args: &[&str]) -> Result<(Option<i32>, String, String), Failure> {
    let output = Command::new(current_exe()?)
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("ZKCONSENT_HOME")
        .env_remove(zkconsent::remote::REGISTRY_ENV)
        .output()
        .map_err(|e| Failure::malformed(format!("running zkconsent: {e}")))?;
    Ok((
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

fn current_exe() -> Result<PathBuf, Failure> {
    std::env::current_exe().map_err(|e| Failure::malformed(format!("own executable: {e}")))
}

/// Starts a service process on a free local port and waits for its address line.
fn start(out: &mut Out, home: &Path, args: &[&str]) -> Result<Service, Failure> {
    out.progress(&format!(
        "$ zkconsent --home {} {} --listen 127.0.0.1:0 &",
        home.display(),
        args.join(" ")
    ));
    let mut child = Command::new(current_exe()?)
        .arg("--home")
        .arg(home)
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("ZKCONSENT_HOME")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Failure::malformed(format!("starting a service: {e}")))?;
    let stdout = child.stdout.take();
    let mut service = Service {
        child,
        url: String::new(),
    };
    let mut reader = BufReader::new(stdout.ok_or_else(|| Failure::malformed("no stdout"))?);
    let mut first = String::new();
    reader
        .read_line(&mut first)
        .map_err(|e| Failure::malformed(format!("service output: {e}")))?;
    // Keep reading what the service prints, so its writes never hit a closed pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    service.url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_end_matches(['"', '}', ',']).to_owned())
        .ok_or_else(|| Failure::malformed(format!("the service did not start: {first:?}")))?;
    out.progress(&format!("  {}", first.trim()));
    Ok(service)
}

/// POSTs a JSON body: (status, answer parsed, answer as text).
fn post(out: &mut Out, url: &str, body: &Value) -> Result<(u16, Value, String), Failure> {
    out.progress(&format!("POST {url}"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(HTTP_TIMEOUT))
        .build()
        .into();
    let mut response = agent
        .post(url)
        .send_json(body)
        .map_err(|e| Failure::malformed(format!("{url}: {e}")))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| Failure::malformed(format!("{url}: {e}")))?;
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    let summary = answer
        .get("reason")
        .or_else(|| answer.get("message"))
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    out.progress(&format!("  {status}{summary}"));
    Ok((status, answer, text))
}

fn expect_status(status: u16, expected: u16, what: &str) -> Result<(), Failure> {
    if status == expected {
        Ok(())
    } else {
        Err(Failure::malformed(format!(
            "demo: {what} answered {status}, expected {expected}"
        )))
    }
}

fn write_text(path: &str, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure::malformed(format!("{path}: {e}")))
}
