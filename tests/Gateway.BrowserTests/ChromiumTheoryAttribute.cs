namespace Gateway.BrowserTests;

/// <summary>
/// A test that needs Debian's Chromium (<c>/usr/bin/chromium</c>, or <c>GATEWAY_CHROMIUM</c>). Without
/// one it is skipped with the way to install it, except under CI (<c>CI=true</c>), where it runs and fails.
/// </summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute()
    {
        if (Browser.ExecutablePath is null && !Browser.IsCi)
        {
            Skip = $"Chromium not found at {Browser.ConfiguredPath}. Install it with "
                + "`apt-get install -y --no-install-recommends chromium` or point GATEWAY_CHROMIUM at one.";
        }
    }
}
