namespace Gateway.BrowserTests;

/// <summary>
/// A test that needs Debian's Chromium (<c>/usr/bin/chromium</c>, or <c>GATEWAY_CHROMIUM</c>). Without
/// one it is skipped with the way to install it, except under CI (<c>CI=true</c>), where it runs and fails.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute() => Skip = SkipReason;

    /// <summary>Why a browser test cannot run here (null when it can, or under CI, where it must).</summary>
    internal static string? SkipReason => Browser.ExecutablePath is null && !Browser.IsCi
        ? $"Chromium not found at {Browser.ConfiguredPath}. Install it with `apt-get install -y --no-install-recommends chromium` or point GATEWAY_CHROMIUM at one."
        : null;
}

/// <summary>A theory that needs Chromium, skipped like <see cref="ChromiumFactAttribute"/>.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute() => Skip = ChromiumFactAttribute.SkipReason;
}
