/** Whether the run is in CI: the CI variable that GitHub Actions, GitLab CI and most others set (not "false" or "0"). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env['CI'];
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
