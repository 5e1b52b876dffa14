//! Where `peerd testnet` prints.

use std::io::Write;

use super::TestnetError;

/// Where the commands print: the binary's stdout, and whether it is a terminal (the live
/// table is redrawn in place only on a terminal).
pub struct Output<'a> {
    /// The stream.
    pub writer: &'a mut dyn Write,
    /// A terminal: redraw in place.
    pub terminal: bool,
}

impl std::fmt::Debug for Output<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("terminal", &self.terminal).finish_non_exhaustive()
    }
}

impl Output<'_> {
    /// Writes `text` and flushes.
    ///
    /// # Errors
    ///
    /// [`TestnetError::Io`] naming stdout.
    pub fn write(&mut self, text: &str) -> Result<(), TestnetError> {
        write_flush(self.writer, text)
            .map_err(|source| TestnetError::Io { path: "stdout".into(), source })
    }

    /// Writes `text` and a newline.
    ///
    /// # Errors
    ///
    /// As [`Output::write`].
    pub fn line(&mut self, text: &str) -> Result<(), TestnetError> {
        self.write(&format!("{text}\n"))
    }
}

/// Flushes after writing, so the table shows at once.
pub fn write_flush(w: &mut dyn Write, text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes())?;
    w.flush()
}
