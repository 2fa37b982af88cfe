//! The console's drawing surface: a custom widget whose `snapshot` turns the session's
//! persistent framebuffer into one `gdk::MemoryTexture` per frame-clock tick and draws it
//! through the [`ViewTransform`] that pointer mapping uses too.
//!
//! GTK 4.8 has no texture update regions, so every frame is a fresh texture built from the
//! whole framebuffer (≈0.65 ms per 1080p frame). Updates arriving between two ticks cost one
//! texture: the session announces new pixels once (`Damaged` → `queue_draw`), and the frame is
//! taken here, when GTK draws. Taking it is also what lets a paced session ask for the next
//! update — an unmapped (hidden) widget draws nothing, so its session asks for nothing.

use std::cell::{Cell, RefCell};

use gtk::subclass::prelude::*;
use gtk::{gdk, glib, graphene, prelude::*};

use hangar::console_model::scaling::{self, ScalingMode, ViewTransform};
use hangar::vnc::{CursorImage, SharedFramebuffer};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ConsoleDisplay {
        pub framebuffer: RefCell<Option<SharedFramebuffer>>,
        pub texture: RefCell<Option<gdk::MemoryTexture>>,
        pub mode: Cell<ScalingMode>,
        /// The desktop size last seen in the framebuffer.
        pub guest_size: Cell<(u32, u32)>,
        /// Textures built so far (benchmarks and tests read it).
        pub frames: Cell<u64>,
        /// Told after every size allocation (resize-guest mode follows the widget's size).
        pub on_allocate: RefCell<Option<Box<dyn Fn()>>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for ConsoleDisplay {
        const NAME: &'static str = "HangarConsoleDisplay";
        type Type = super::ConsoleDisplay;
        type ParentType = gtk::Widget;

        fn class_init(class: &mut Self::Class) {
            class.set_css_name("console-display");
            // An image for assistive technologies (and the end-to-end test, which finds it by
            // its accessible name to know where the guest's screen is).
            class.set_accessible_role(gtk::AccessibleRole::Img);
        }
    }

    impl ObjectImpl for ConsoleDisplay {
        fn constructed(&self) {
            self.parent_constructed();
            let widget = self.obj();
            widget.set_focusable(true);
            widget.set_can_focus(true);
            widget.set_overflow(gtk::Overflow::Hidden);
            widget.set_hexpand(true);
            widget.set_vexpand(true);
        }
    }

    impl WidgetImpl for ConsoleDisplay {
        fn measure(&self, orientation: gtk::Orientation, _for_size: i32) -> (i32, i32, i32, i32) {
            let (minimum, natural) = scaling::preferred_size(
                self.mode.get(),
                self.guest_size.get(),
                f64::from(self.obj().scale_factor()),
            );
            let (minimum, natural) = match orientation {
                gtk::Orientation::Horizontal => (minimum.0, natural.0),
                _ => (minimum.1, natural.1),
            };
            (minimum, natural.max(minimum), -1, -1)
        }

        fn size_allocate(&self, width: i32, height: i32, baseline: i32) {
            self.parent_size_allocate(width, height, baseline);
            if let Some(callback) = self.on_allocate.borrow().as_ref() {
                callback();
            }
        }

        fn snapshot(&self, snapshot: &gtk::Snapshot) {
            let widget = self.obj();
            let (width, height) = (f64::from(widget.width()), f64::from(widget.height()));
            snapshot.append_color(
                &gdk::RGBA::BLACK,
                &graphene::Rect::new(0.0, 0.0, width as f32, height as f32),
            );
            self.take_frame();
            let Some(texture) = self.texture.borrow().clone() else {
                return;
            };
            let (x, y, w, h) = widget.transform().image_bounds();
            snapshot.append_texture(
                &texture,
                &graphene::Rect::new(x as f32, y as f32, w as f32, h as f32),
            );
        }
    }

    impl ConsoleDisplay {
        /// Builds a new texture if the framebuffer changed since the last one.
        fn take_frame(&self) {
            let Some(framebuffer) = self.framebuffer.borrow().clone() else {
                return;
            };
            let current = self
                .texture
                .borrow()
                .as_ref()
                .map(|texture| (texture.width() as u32, texture.height() as u32));
            let texture = framebuffer.take_frame(|frame, damage| {
                let size = (frame.width(), frame.height());
                if size.0 == 0 || size.1 == 0 {
                    return None;
                }
                if damage.is_none() && current == Some(size) {
                    return None;
                }
                // The framebuffer's BGRx with opaque alpha is GDK's (and Cairo's) native
                // premultiplied BGRA, so neither renderer converts it.
                let bytes = glib::Bytes::from(frame.bytes());
                Some(gdk::MemoryTexture::new(
                    size.0 as i32,
                    size.1 as i32,
                    gdk::MemoryFormat::B8g8r8a8Premultiplied,
                    &bytes,
                    frame.stride(),
                ))
            });
            if let Some(texture) = texture {
                let size = (texture.width() as u32, texture.height() as u32);
                *self.texture.borrow_mut() = Some(texture);
                self.frames.set(self.frames.get() + 1);
                if size != self.guest_size.replace(size) {
                    // Drawing happens after layout: the new size applies from the next frame.
                    self.obj().queue_resize();
                }
            }
        }
    }
}

glib::wrapper! {
    /// Draws a console session's framebuffer (see the module docs).
    pub struct ConsoleDisplay(ObjectSubclass<imp::ConsoleDisplay>)
        @extends gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for ConsoleDisplay {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleDisplay {
    pub fn new() -> Self {
        glib::Object::new()
    }

    /// Shows `framebuffer` (a new session's), or nothing.
    pub fn set_framebuffer(&self, framebuffer: Option<SharedFramebuffer>) {
        let imp = self.imp();
        *imp.framebuffer.borrow_mut() = framebuffer;
        *imp.texture.borrow_mut() = None;
        self.queue_draw();
    }

    /// Calls `callback` after every size allocation.
    pub fn connect_allocated(&self, callback: impl Fn() + 'static) {
        *self.imp().on_allocate.borrow_mut() = Some(Box::new(callback));
    }

    /// New pixels wait in the framebuffer: draw at the next frame-clock tick.
    pub fn damaged(&self) {
        self.queue_draw();
    }

    /// The desktop was resized.
    pub fn resized(&self, width: u32, height: u32) {
        self.imp().guest_size.set((width, height));
        self.queue_resize();
        self.queue_draw();
    }

    pub fn mode(&self) -> ScalingMode {
        self.imp().mode.get()
    }

    pub fn set_mode(&self, mode: ScalingMode) {
        if self.imp().mode.replace(mode) != mode {
            self.queue_resize();
            self.queue_draw();
        }
    }

    /// The guest's desktop size as last drawn or announced.
    pub fn guest_size(&self) -> (u32, u32) {
        self.imp().guest_size.get()
    }

    /// Textures built so far.
    pub fn frames(&self) -> u64 {
        self.imp().frames.get()
    }

    /// Where the guest's screen is in this widget now: what drawing and pointer mapping use.
    pub fn transform(&self) -> ViewTransform {
        ViewTransform::new(
            self.mode(),
            (f64::from(self.width()), f64::from(self.height())),
            self.guest_size(),
            f64::from(self.scale_factor()),
        )
    }

    /// Shows the server's pointer image as the local pointer (an empty image hides it).
    pub fn set_remote_cursor(&self, image: &CursorImage) {
        if image.width == 0 || image.height == 0 {
            self.set_cursor_from_name(Some("none"));
            return;
        }
        let bytes = glib::Bytes::from(&image.rgba[..]);
        let texture = gdk::MemoryTexture::new(
            image.width as i32,
            image.height as i32,
            gdk::MemoryFormat::R8g8b8a8,
            &bytes,
            image.width as usize * 4,
        );
        let cursor = gdk::Cursor::from_texture(
            &texture,
            image.hotspot_x as i32,
            image.hotspot_y as i32,
            gdk::Cursor::from_name("default", None).as_ref(),
        );
        self.set_cursor(Some(&cursor));
    }

    /// A PNG of the whole framebuffer as it is now, or `None` when there is no picture.
    pub fn screenshot_png(&self) -> Option<glib::Bytes> {
        let framebuffer = self.imp().framebuffer.borrow().clone()?;
        let texture = {
            let frame = framebuffer.lock();
            if frame.width() == 0 || frame.height() == 0 {
                return None;
            }
            gdk::MemoryTexture::new(
                frame.width() as i32,
                frame.height() as i32,
                gdk::MemoryFormat::B8g8r8a8Premultiplied,
                &glib::Bytes::from(frame.bytes()),
                frame.stride(),
            )
        };
        Some(texture.save_to_png_bytes())
    }
}
