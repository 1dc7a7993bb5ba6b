//! The examples' data sets are exactly what the checked-in generator
//! writes: regenerating them changes nothing.

mod common;

#[allow(dead_code)]
#[path = "../tools/example_data.rs"]
mod generator;

#[test]
fn checked_in_data_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    generator::write_all(dir.path());
    let mut compared = 0;
    for &example in common::EXAMPLES {
        let fresh = dir.path().join(example).join("data");
        for entry in std::fs::read_dir(&fresh).expect("generated data") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().expect("a name");
            let checked_in = common::root()
                .join("examples")
                .join(example)
                .join("data")
                .join(name);
            let want = std::fs::read(&path).expect("generated");
            let got = std::fs::read(&checked_in)
                .unwrap_or_else(|e| panic!("{}: {e}", checked_in.display()));
            assert!(
                got == want,
                "{} differs from the generator's output",
                checked_in.display()
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 10, "every data file");
}
