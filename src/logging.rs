//! Logging with `tracing` to a file under the state dir; never to the terminal. SKELETON.
