//! Rebuilds when a migration is added: `sqlx::migrate!` embeds `migrations/` at compile time,
//! and cargo does not otherwise know the macro read that directory.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
