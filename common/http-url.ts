/** Whether a setting's text is an absolute http(s) URL (API base URLs of GitHub, Slack and the like). */
export function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
