/**
 * Playwright configuration of the browser tests: Galata's defaults, the
 * Debian chromium (Playwright's own browsers and ffmpeg cannot be downloaded
 * here), one worker (all tests share one server and one model on the CPU) and
 * a JupyterLab server started for the run.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

module.exports = {
  ...baseConfig,
  testDir: './tests',
  // The tests talk to the real model: run them one at a time.
  workers: 1,
  fullyParallel: false,
  // One retry absorbs an unlucky sample of the model; none locally.
  retries: process.env.CI ? 1 : 0,
  use: {
    ...baseConfig.use,
    video: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium'
    }
  },
  webServer: {
    command: 'jlpm start',
    url: 'http://localhost:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI
  }
};
