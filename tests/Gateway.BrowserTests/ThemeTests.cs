using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>Dark mode: follows the system, a toggle that sticks, and every main colour pair readable in both themes.</summary>
public sealed class ThemeTests(ITestOutputHelper output) : DashboardTest(output)
{
    // Text colour on background colour, as the stylesheet pairs them.
    private static readonly (string Ink, string Ground)[] Pairs =
    [
        ("--ink", "--bg"), ("--ink", "--panel"), ("--muted", "--panel"), ("--muted", "--bg"), ("--in", "--in-bg"), ("--out", "--out-bg"),
        ("--bad", "--bad-bg"), ("--warn", "--warn-bg"), ("--accent", "--panel"), ("--accent", "--tag-bg"), ("--on-ink", "--ink"),
        ("--on-dark", "--toast-bg"), ("--outbound", "--outbound-bg"), ("--error-ink", "--panel"), ("--ink", "--highlight"), ("--ink", "--row-selected"),
    ];

    [ChromiumTheory]
    [InlineData("dark")]
    [InlineData("light")]
    public async Task SystemTheme_IsFollowed_AndEveryMainColourPairIsReadable(string scheme)
    {
        await Page.EmulateMediaAsync(new() { ColorScheme = scheme == "dark" ? ColorScheme.Dark : ColorScheme.Light });
        var background = await Page.EvaluateAsync<double>("() => luminance(getComputedStyle(document.body).backgroundColor)".Replace("luminance", Luminance));
        Assert.True(scheme == "dark" ? background < 0.05 : background > 0.8, $"body background luminance {background} in {scheme}");

        var contrasts = await Page.EvaluateAsync<double[]>(
            $"pairs => pairs.map(([ink, ground]) => {{ const css = getComputedStyle(document.documentElement); const l = {Luminance}; "
            + "const a = l(css.getPropertyValue(ink).trim()), b = l(css.getPropertyValue(ground).trim()); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); })",
            Pairs.Select(p => new[] { p.Ink, p.Ground }).ToArray());
        var unreadable = Pairs.Zip(contrasts).Where(p => p.Second < 4.5).Select(p => $"{p.First.Ink} on {p.First.Ground}: {p.Second:F2}").ToArray();
        Assert.True(unreadable.Length == 0, $"below 4.5:1 in {scheme}: {string.Join("; ", unreadable)}");
    }

    [ChromiumFact]
    public async Task Toggle_PicksDarkOrLight_AndTheChoiceSticks()
    {
        await Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        var html = Page.Locator("html");
        await Page.Locator("#theme").ClickAsync();
        await Expect(html).ToHaveAttributeAsync("data-theme", "dark");
        await Page.ReloadAsync();
        await Expect(html).ToHaveAttributeAsync("data-theme", "dark", new() { Timeout = 10_000 });
        Assert.True(await Page.EvaluateAsync<double>($"() => ({Luminance})(getComputedStyle(document.body).backgroundColor)") < 0.05);

        await Page.Locator("#theme").ClickAsync(); // light
        await Expect(html).ToHaveAttributeAsync("data-theme", "light");
        await Page.Locator("#theme").ClickAsync(); // back to the system's
        await Expect(html).Not.ToHaveAttributeAsync("data-theme", new System.Text.RegularExpressions.Regex("."));
    }

    /// <summary>WCAG relative luminance of a CSS colour (#rgb, #rrggbb or rgb()).</summary>
    private const string Luminance = """
        (c => { let r, g, b; if (c.startsWith('#')) { const h = c.length === 4 ? [...c.slice(1)].map(x => x + x).join('') : c.slice(1);
          [r, g, b] = [0, 2, 4].map(i => parseInt(h.slice(i, i + 2), 16)); } else { [r, g, b] = c.match(/\d+/g).map(Number); }
          const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); })
        """;
}
