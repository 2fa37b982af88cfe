//! Chooses how GTK draws before GTK starts: Cairo without OpenGL when OpenGL would only be
//! Mesa's software rasteriser, or when the user already asked for Cairo.
//!
//! GTK 4.8 sets up OpenGL when it opens the display, whether or not its renderer then uses it.
//! Without a GPU that is Mesa's llvmpipe: about 60 MB of resident libraries (`libLLVM`,
//! `swrast_dri`; measured under Xvfb, see docs/benchmarks.md). Hangar draws nothing that needs
//! OpenGL (charts and sparklines are Cairo, the console is a texture), so on such machines it
//! asks GTK for Cairo and keeps OpenGL unloaded.

use std::path::Path;

/// What to add to the environment before GTK reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RendererEnv {
    /// Value for `GSK_RENDERER`, when Hangar picks the renderer itself.
    pub gsk_renderer: Option<&'static str>,
    /// Value for `GDK_DEBUG`, when OpenGL is to stay unloaded.
    pub gdk_debug: Option<&'static str>,
}

/// Decides from the user's `GSK_RENDERER` and `GDK_DEBUG` and whether the machine has a GPU
/// render node. A user who set `GDK_DEBUG` is debugging GTK and gets exactly what they asked
/// for; one who named a renderer other than Cairo keeps it, OpenGL included.
pub fn choose(gsk_renderer: Option<&str>, gdk_debug: Option<&str>, has_gpu: bool) -> RendererEnv {
    if gdk_debug.is_some_and(|value| !value.is_empty()) {
        return RendererEnv::default();
    }
    match gsk_renderer.filter(|value| !value.is_empty()) {
        Some(renderer) if renderer.eq_ignore_ascii_case("cairo") => RendererEnv {
            gsk_renderer: None,
            gdk_debug: Some("gl-disable"),
        },
        Some(_) => RendererEnv::default(),
        None if has_gpu => RendererEnv::default(),
        None => RendererEnv {
            gsk_renderer: Some("cairo"),
            gdk_debug: Some("gl-disable"),
        },
    }
}

/// Whether a DRM render node exists (`/dev/dri/renderD*`): without one, OpenGL is software.
pub fn has_render_node(dri_dir: &Path) -> bool {
    std::fs::read_dir(dri_dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Applies [`choose`] to this process's environment.
///
/// # Safety
/// Changes the environment, which races with any other thread reading it: call this before
/// the process starts a thread.
pub unsafe fn apply() {
    let var = |name: &str| std::env::var(name).ok();
    let chosen = choose(
        var("GSK_RENDERER").as_deref(),
        var("GDK_DEBUG").as_deref(),
        has_render_node(Path::new("/dev/dri")),
    );
    // SAFETY: the caller guarantees that no other thread exists yet.
    unsafe {
        if let Some(renderer) = chosen.gsk_renderer {
            std::env::set_var("GSK_RENDERER", renderer);
        }
        if let Some(debug) = chosen.gdk_debug {
            std::env::set_var("GDK_DEBUG", debug);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAIRO_WITHOUT_GL: RendererEnv = RendererEnv {
        gsk_renderer: Some("cairo"),
        gdk_debug: Some("gl-disable"),
    };

    #[test]
    fn without_a_gpu_cairo_is_chosen_and_opengl_stays_unloaded() {
        assert_eq!(choose(None, None, false), CAIRO_WITHOUT_GL);
        assert_eq!(choose(Some(""), Some(""), false), CAIRO_WITHOUT_GL);
    }

    #[test]
    fn with_a_gpu_gtk_keeps_its_own_choice() {
        assert_eq!(choose(None, None, true), RendererEnv::default());
    }

    #[test]
    fn a_user_who_asked_for_cairo_does_not_load_opengl_either() {
        let expected = RendererEnv {
            gsk_renderer: None,
            gdk_debug: Some("gl-disable"),
        };
        assert_eq!(choose(Some("cairo"), None, true), expected);
        assert_eq!(choose(Some("Cairo"), None, false), expected);
    }

    #[test]
    fn a_user_choice_of_renderer_or_gdk_debugging_is_left_alone() {
        assert_eq!(choose(Some("gl"), None, false), RendererEnv::default());
        assert_eq!(choose(Some("ngl"), None, true), RendererEnv::default());
        assert_eq!(choose(None, Some("gl-glx"), false), RendererEnv::default());
        assert_eq!(
            choose(Some("cairo"), Some("frames"), false),
            RendererEnv::default()
        );
    }

    #[test]
    fn render_nodes_are_found_by_name() {
        let dir = std::env::temp_dir().join(format!("hangar-dri-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        std::fs::write(dir.join("card0"), b"").expect("card node");
        assert!(
            !has_render_node(&dir),
            "a card node alone is not a render node"
        );
        std::fs::write(dir.join("renderD128"), b"").expect("render node");
        assert!(has_render_node(&dir));
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert!(!has_render_node(&dir), "a missing directory means no GPU");
    }
}
