//! Build script: compiles `resources/` into the GResource bundle embedded in the binary, and the
//! GSettings schema into `OUT_DIR/schemas` and the translations into `OUT_DIR/locale`, so an
//! uninstalled build finds its settings and speaks the user's language.

use std::path::Path;
use std::process::Command;

fn main() {
    glib_build_tools::compile_resources(
        &["resources", "data/icons"],
        "resources/resources.gresource.xml",
        "hangar.gresource",
    );

    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let schema_dir = Path::new(&out_dir).join("schemas");
    std::fs::create_dir_all(&schema_dir).expect("OUT_DIR is writable");
    let schema = "data/io.github.hangar_vm.Hangar.gschema.xml";
    std::fs::copy(
        schema,
        schema_dir.join("io.github.hangar_vm.Hangar.gschema.xml"),
    )
    .expect("the GSettings schema is part of the source tree");
    let status = Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(&schema_dir)
        .status()
        .expect("glib-compile-schemas is installed (libglib2.0-dev-bin)");
    assert!(status.success(), "glib-compile-schemas rejected {schema}");
    println!("cargo:rerun-if-changed={schema}");

    compile_translations(Path::new(&out_dir).join("locale").as_path());
    println!("cargo:rerun-if-changed=build.rs");
}

/// Compiles `po/*.po` into `OUT_DIR/locale` so uninstalled builds are translated too. Without
/// `msgfmt` the build still succeeds; the app then simply shows English.
fn compile_translations(locale_dir: &Path) {
    println!("cargo:rerun-if-changed=po/LINGUAS");
    let Ok(linguas) = std::fs::read_to_string("po/LINGUAS") else {
        return;
    };
    for lang in linguas
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
    {
        let po = format!("po/{lang}.po");
        println!("cargo:rerun-if-changed={po}");
        let target = locale_dir.join(lang).join("LC_MESSAGES");
        if std::fs::create_dir_all(&target).is_err() {
            continue;
        }
        let _ = Command::new("msgfmt")
            .arg("-o")
            .arg(target.join("hangar.mo"))
            .arg(&po)
            .status();
    }
}
