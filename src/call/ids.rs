//! Ids of the Asterisk objects a call deals with.
//!
//! The call chooses the ids of everything it creates (dial legs, the bridge,
//! playbacks) as `<caller channel id>-<suffix>`, so an event can be routed to its call
//! by prefix even when it arrives before the REST response that created the object.

use std::fmt;

/// An Asterisk channel id (the caller's, or a dial leg's we chose).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub String);

/// An Asterisk bridge id we chose.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BridgeId(pub String);

/// An Asterisk playback id we chose.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaybackId(pub String);

macro_rules! display_as_str {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl $name {
            /// The id as Asterisk knows it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    )*};
}

display_as_str!(ChannelId, BridgeId, PlaybackId);
