using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gateway.BrowserTests;

/// <summary>Launches the system Chromium through Playwright; nothing is downloaded.</summary>
internal static class Browser
{
    public static string ConfiguredPath =>
        Environment.GetEnvironmentVariable("GATEWAY_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static string? ExecutablePath => File.Exists(ConfiguredPath) ? ConfiguredPath : null;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var executable = ExecutablePath ?? throw new InvalidOperationException(
            $"CI=true but Chromium is missing at {ConfiguredPath}: install it (apt-get install -y --no-install-recommends chromium).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Timeout = 30_000,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        });
        return (playwright, browser);
    }

    /// <summary>Where screenshots go: <c>artifacts/screenshots</c> at the repository root.</summary>
    public static string ArtifactPath(string fileName)
    {
        var folder = Path.Combine(TestPaths.RepositoryRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, fileName);
    }
}
