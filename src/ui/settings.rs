//! Access to Hangar's GSettings, installed or (for uninstalled builds) compiled by build.rs.

use gtk::gio;

use hangar::config;

/// The application's settings.
///
/// The installed schema is preferred; an uninstalled build falls back to the copy that the
/// build script compiled, so `cargo run` works without installing anything.
pub fn settings() -> gio::Settings {
    let installed = gio::SettingsSchemaSource::default()
        .and_then(|source| source.lookup(config::SCHEMA_ID, true));
    let schema = installed.or_else(|| {
        gio::SettingsSchemaSource::from_directory(
            concat!(env!("OUT_DIR"), "/schemas"),
            gio::SettingsSchemaSource::default().as_ref(),
            false,
        )
        .ok()
        .and_then(|source| source.lookup(config::SCHEMA_ID, false))
    });
    match schema {
        Some(schema) => gio::Settings::new_full(&schema, None::<&gio::SettingsBackend>, None),
        // Neither installed nor built here: a broken installation, not a user error.
        None => panic!(
            "GSettings schema {} is not installed; install Hangar with meson",
            config::SCHEMA_ID
        ),
    }
}

/// Settings of the schema build.rs compiled, in a memory backend: tests never touch dconf.
#[cfg(test)]
pub fn memory_settings() -> gio::Settings {
    let source = gio::SettingsSchemaSource::from_directory(
        concat!(env!("OUT_DIR"), "/schemas"),
        None,
        false,
    )
    .expect("build.rs compiles the schema into OUT_DIR/schemas");
    let schema = source
        .lookup(config::SCHEMA_ID, false)
        .expect("the compiled schema holds Hangar's id");
    gio::Settings::new_full(&schema, Some(&gio::memory_settings_backend_new()), None)
}
