//! peerd's built-in handler plugins: block and heart, and the list of every built-in plugin.
