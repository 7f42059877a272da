//! `schema.graphql` is what `normledger schema` prints: a drift fails the build.

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    let generated = normledger::graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn the_binary_prints_the_same_schema() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .arg("schema")
        .output()
        .expect("run normledger schema");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        normledger::graphql::sdl()
    );
}
