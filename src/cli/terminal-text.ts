/**
 * Text from the agent made safe to print on a terminal: control characters other than line breaks and
 * tabs (escape sequences that could move the cursor, retitle the window or fake output) are shown as
 * visible symbols instead of being sent. Pure.
 */

// C0 controls but tab and line feed, DEL, and C1 controls.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Replaces terminal control characters with visible ones: ESC becomes `␛`, other C0 controls their
 * Unicode control pictures (`\r` → `␍`), DEL `␡`, C1 controls `�`. Tabs and `\n` are kept; a `\r\n`
 * pair becomes `\n`.
 */
export function sanitizeTerminal(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(CONTROL, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "␡";
    return "�";
  });
}

/** Removes ANSI colour and style sequences (`ESC [ … m`) from a text. */
export function stripStyles(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
