//! Hostile input: any bytes give diagnostics and exit status 1, never a
//! panic, a stack overflow or a hang.

mod common;

use std::path::Path;

fn check_bytes(bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("hostile.cpi"), bytes).expect("write");
    check_dir(dir.path())
}

fn check_dir(dir: &Path) -> (i32, String) {
    let out = common::cpic()
        .args([
            "check",
            &dir.display().to_string(),
            "--format",
            "short",
            "--today",
            common::TODAY,
        ])
        .output()
        .expect("cpic runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "cpic panicked: {stderr}");
    (
        out.status.code().expect("exited normally, not by a signal"),
        stdout,
    )
}

#[test]
fn invalid_utf8() {
    let (code, out) = check_bytes(b"team t { name: \"\xff\xfe\" }\n");
    assert_eq!(code, 1);
    assert!(out.contains("hostile.cpi:1:17: error[E0101]"), "{out}");
}

#[test]
fn random_binary() {
    // A deterministic pseudo-random byte soup (xorshift).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..300_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let (code, out) = check_bytes(&bytes);
    assert_eq!(code, 1);
    assert!(out.contains("error[E0101]"), "{out}");
}

#[test]
fn binary_that_is_valid_utf8() {
    let mut bytes = Vec::new();
    for i in 0..20_000u32 {
        bytes.extend_from_slice(&[0, 1, 2, (i % 128) as u8, b'{', b'"', b'\n']);
    }
    let (code, out) = check_bytes(&bytes);
    assert_eq!(code, 1);
    assert!(
        out.contains("error[E0102]") || out.contains("error[E0103]"),
        "{out}"
    );
    assert!(
        out.lines().count() <= 60,
        "syntax errors are capped per file"
    );
}

#[test]
fn ten_thousand_nested_parentheses() {
    let text = format!(
        "team t {{ name: \"T\" }}\nkpi k {{ measure: {}1{} }}\nteam u {{ name: \"U\" }}\nteam u {{ name: \"again\" }}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let (code, out) = check_bytes(text.as_bytes());
    assert_eq!(code, 1);
    assert!(out.contains("hostile.cpi:2:49: error[E0103]"), "{out}");
    // Parsing resumed after the deep item.
    assert!(
        out.contains("error[E0201]: team `u` is defined more than once"),
        "{out}"
    );
}

#[test]
fn ten_thousand_unclosed_parentheses() {
    let text = format!("kpi k {{ measure: {}", "(".repeat(10_000));
    let (code, out) = check_bytes(text.as_bytes());
    assert_eq!(code, 1);
    assert!(out.contains("error[E0103]"), "{out}");
}

#[test]
fn long_operator_chains_and_prefixes() {
    let chain = vec!["x"; 100_000].join(" + ");
    let text = format!(
        "kpi a {{ measure: {chain} }}\nkpi b {{ measure: {}1 }}\nkpi c {{ filter: {}true }}\n",
        "- ".repeat(50_000),
        "not ".repeat(50_000)
    );
    let (code, out) = check_bytes(text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(out.matches("error[E0103]").count(), 3, "{out}");
}

#[test]
fn a_one_megabyte_line() {
    let text = format!(
        "team t {{ name: \"{}\" contact: 1 }}\n",
        "a".repeat(1_000_000)
    );
    let (code, out) = check_bytes(text.as_bytes());
    assert_eq!(code, 1);
    assert!(
        out.contains("error[E0102]: expected a string, found `1`"),
        "{out}"
    );
}

#[test]
fn a_fifty_megabyte_file() {
    let mut text = String::with_capacity(50_000_000);
    let mut i = 0;
    while text.len() < 50_000_000 {
        text.push_str(&format!(
            "team t{i} {{ name: \"Team {i}\" contact: \"c\" }}\n"
        ));
        i += 1;
    }
    text.push_str("team t0 { name: \"duplicate\" }\n");
    let (code, out) = check_bytes(text.as_bytes());
    assert_eq!(code, 1);
    assert!(out.contains("error[E0201]"), "{out}");
}

#[test]
fn a_fifty_megabyte_unterminated_string() {
    let text = format!("team t {{ name: \"{}", "x".repeat(50_000_000));
    let (code, out) = check_bytes(text.as_bytes());
    assert_eq!(code, 1);
    assert!(out.contains("error[E0102]"), "{out}");
}

#[test]
fn unterminated_block_string_and_comment_only_files() {
    let (code, out) =
        check_bytes(b"cpi a { description: \"\"\" never closed\nteam b { name: \"B\" }\n");
    assert_eq!(code, 1, "{out}");
    let (code, out) = check_bytes(b"// only a comment\n\n   \n");
    assert_eq!(code, 0, "{out}");
    let (code, _) = check_bytes(b"");
    assert_eq!(code, 0);
}
