//! The console's drawing surface: a custom widget whose `snapshot` turns the session's
//! persistent framebuffer into textures once per frame-clock tick and draws them through the
//! [`ViewTransform`] that pointer mapping uses too.
//!
//! GTK 4.8 has no texture update regions, so the screen is a grid of tiles
//! ([`TileGrid`]), one `gdk::MemoryTexture` each: a frame rebuilds only the tiles the damage
//! touches, and the renderer, which diffs render nodes, redraws and uploads only those. Under
//! the Cairo renderer the tiles are Cairo nodes instead (GTK 4.8 converts a texture for Cairo
//! pixel by pixel through floats, which cost most of a full-motion console's CPU). Updates
//! arriving between two ticks are coalesced: the session announces new pixels once (`Damaged` →
//! `queue_draw`), and the frame is taken here, when GTK draws. Taking it is also what lets a
//! paced session ask for the next update — an unmapped (hidden) widget draws nothing, so its
//! session asks for nothing.

use std::cell::{Cell, RefCell};

use gtk::subclass::prelude::*;
use gtk::{gdk, glib, graphene, gsk, prelude::*};

use hangar::console_model::TileGrid;
use hangar::console_model::scaling::{self, ScalingMode, ViewTransform};
use hangar::vnc::{CursorImage, Framebuffer, SharedFramebuffer};

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct ConsoleDisplay {
        pub framebuffer: RefCell<Option<SharedFramebuffer>>,
        /// The screen's tiles (row by row, as `grid` cuts it), for GPU renderers.
        pub tiles: RefCell<Vec<gdk::MemoryTexture>>,
        /// The same as ready-made Cairo nodes and where each is drawn, for the Cairo renderer.
        pub nodes: RefCell<Vec<Option<(gsk::RenderNode, Destination)>>>,
        pub grid: Cell<TileGrid>,
        pub mode: Cell<ScalingMode>,
        /// The desktop size last seen in the framebuffer.
        pub guest_size: Cell<(u32, u32)>,
        /// Frames that changed the picture so far (benchmarks read it).
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
            let transform = widget.transform();
            let device_scale = f64::from(widget.scale_factor());
            let cairo = widget
                .native()
                .and_then(|native| native.renderer())
                .is_some_and(|renderer| renderer.is::<gsk::CairoRenderer>());
            self.take_frame(cairo.then_some((&transform, device_scale)));
            let grid = self.grid.get();
            if cairo {
                // The same node as last frame for an unchanged tile: the renderer's diff
                // skips it, so only changed tiles are redrawn.
                for (node, _) in self.nodes.borrow().iter().flatten() {
                    snapshot.append_node(node);
                }
                return;
            }
            let tiles = self.tiles.borrow();
            if tiles.len() != grid.len() {
                return;
            }
            for (index, tile) in tiles.iter().enumerate() {
                let (x, y, w, h) = grid.destination(index, &transform, device_scale);
                snapshot.append_texture(
                    tile,
                    &graphene::Rect::new(x as f32, y as f32, w as f32, h as f32),
                );
            }
        }
    }

    impl ConsoleDisplay {
        /// Rebuilds the tiles the damage since the last frame touches (all of them when the
        /// desktop's size changed). With `cairo` (the Cairo renderer's transform and device
        /// scale), tiles are Cairo nodes, also rebuilt where the transform moved them.
        fn take_frame(&self, cairo: Option<(&ViewTransform, f64)>) {
            let Some(framebuffer) = self.framebuffer.borrow().clone() else {
                return;
            };
            let mut tiles = self.tiles.borrow_mut();
            let mut nodes = self.nodes.borrow_mut();
            let old_grid = self.grid.get();
            let grid = framebuffer.take_frame(|frame, damage| {
                let grid = TileGrid::new(frame.width(), frame.height());
                if grid.is_empty() {
                    tiles.clear();
                    nodes.clear();
                    return grid;
                }
                let resized = grid != old_grid;
                let mut dirty = vec![resized; grid.len()];
                if let Some(damage) = damage {
                    for index in grid.touching(damage) {
                        dirty[index] = true;
                    }
                }
                let mut changed = false;
                if let Some((transform, device_scale)) = cairo {
                    tiles.clear();
                    if nodes.len() != grid.len() {
                        *nodes = vec![None; grid.len()];
                    }
                    for (index, node) in nodes.iter_mut().enumerate() {
                        let destination = grid.destination(index, transform, device_scale);
                        let moved = node.as_ref().is_none_or(|(_, at)| *at != destination);
                        if dirty[index] || moved {
                            *node = tile_node(frame, grid, index, destination)
                                .map(|built| (built, destination));
                            changed |= dirty[index];
                        }
                    }
                } else {
                    nodes.clear();
                    if resized || tiles.len() != grid.len() {
                        *tiles = (0..grid.len())
                            .map(|index| tile_texture(frame, grid, index))
                            .collect();
                        changed = true;
                    } else {
                        for index in (0..grid.len()).filter(|index| dirty[*index]) {
                            tiles[index] = tile_texture(frame, grid, index);
                            changed = true;
                        }
                    }
                }
                if changed {
                    self.frames.set(self.frames.get() + 1);
                }
                grid
            });
            self.grid.set(grid);
            let size = (grid.width, grid.height);
            if !grid.is_empty() && size != self.guest_size.replace(size) {
                // Drawing happens after layout: the new size applies from the next frame.
                self.obj().queue_resize();
            }
        }
    }

    /// Where a tile is drawn: x, y, width, height in widget coordinates.
    pub type Destination = (f64, f64, f64, f64);

    /// One tile's pixels, copied out of the framebuffer (4 bytes a pixel, rows packed).
    fn tile_pixels(frame: &Framebuffer, grid: TileGrid, index: usize) -> Vec<u8> {
        let rect = grid.rect(index);
        let row_bytes = rect.width as usize * 4;
        let stride = frame.stride();
        let bytes = frame.bytes();
        let mut pixels = Vec::with_capacity(row_bytes * rect.height as usize);
        for row in rect.y..rect.y + rect.height {
            let start = row as usize * stride + rect.x as usize * 4;
            match bytes.get(start..start + row_bytes) {
                Some(line) => pixels.extend_from_slice(line),
                // Not with a consistent framebuffer; black rather than a panic.
                None => pixels.resize(pixels.len() + row_bytes, 0),
            }
        }
        pixels
    }

    /// One tile as a Cairo node drawn at `destination`. GTK 4.8's Cairo renderer turns a
    /// texture into a Cairo surface through a per-pixel float conversion; a Cairo image surface
    /// over the same bytes (Cairo's ARGB32 is the framebuffer's BGRx with opaque alpha) is
    /// painted directly.
    fn tile_node(
        frame: &Framebuffer,
        grid: TileGrid,
        index: usize,
        destination: Destination,
    ) -> Option<gsk::RenderNode> {
        let rect = grid.rect(index);
        let (x, y, w, h) = destination;
        let surface = gtk::cairo::ImageSurface::create_for_data(
            tile_pixels(frame, grid, index),
            gtk::cairo::Format::ARgb32,
            rect.width as i32,
            rect.height as i32,
            rect.width as i32 * 4,
        )
        .ok()?;
        let node =
            gsk::CairoNode::new(&graphene::Rect::new(x as f32, y as f32, w as f32, h as f32));
        let cr = node.draw_context();
        cr.rectangle(x, y, w, h);
        cr.clip();
        cr.translate(x, y);
        cr.scale(w / f64::from(rect.width), h / f64::from(rect.height));
        cr.set_source_surface(&surface, 0.0, 0.0).ok()?;
        let pattern = cr.source();
        // Pad: edge pixels are not blended with transparency where neighbours meet.
        pattern.set_extend(gtk::cairo::Extend::Pad);
        if (w - f64::from(rect.width)).abs() < 1e-9 && (h - f64::from(rect.height)).abs() < 1e-9 {
            pattern.set_filter(gtk::cairo::Filter::Fast);
        }
        cr.paint().ok()?;
        drop(cr);
        Some(node.upcast())
    }

    /// One tile's pixels as a texture. The framebuffer's BGRx with opaque alpha is GDK's (and
    /// Cairo's) native premultiplied BGRA, so neither renderer converts it.
    fn tile_texture(frame: &Framebuffer, grid: TileGrid, index: usize) -> gdk::MemoryTexture {
        let rect = grid.rect(index);
        gdk::MemoryTexture::new(
            rect.width as i32,
            rect.height as i32,
            gdk::MemoryFormat::B8g8r8a8Premultiplied,
            &glib::Bytes::from_owned(tile_pixels(frame, grid, index)),
            rect.width as usize * 4,
        )
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
        imp.tiles.borrow_mut().clear();
        imp.nodes.borrow_mut().clear();
        imp.grid.set(TileGrid::default());
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

    /// Frames that changed the picture so far.
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
