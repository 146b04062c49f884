//! Renders what subscribers read: Atom, RSS and JSON Feed documents and an HTML
//! page per release.
//!
//! Rendering is pure: releases and settings in, bytes out. Writing the bytes to
//! disk is the daemon's job, so everything here can be tested without a folder.
