//! The console view's GTK-free logic, kept out of the widgets so it can be unit-tested: the
//! scaling transform that both drawing and pointer mapping use ([`scaling`]), the tile grid the
//! screen is drawn in ([`tiles`]), the keyboard
//! state machine that pairs presses with releases and spots the grab combination
//! ([`keyboard`]), and the policy that decides when a console connects, reconnects, asks for a
//! password or gives up ([`lifecycle`]).

pub mod keyboard;
pub mod lifecycle;
pub mod scaling;
pub mod tiles;

pub use keyboard::{GrabCombo, KeyOutput, KeyboardState, Modifier, ModifierSet};
pub use lifecycle::{Lifecycle, Outcome, Phase, Step};
pub use scaling::{ScalingMode, ViewTransform};
pub use tiles::TileGrid;
