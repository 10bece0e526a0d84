using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Gateway.BrowserTests;

/// <summary>A session through a TLS-intercepting relay, as the dashboard shows it.</summary>
public sealed class TlsTests(ITestOutputHelper output) : DashboardTest(output)
{
    [ChromiumFact]
    public async Task InterceptedHttpsSession_ShowsThePlaintextAndBothHandshakes()
    {
        await using var server = await TestHttpsServer.StartAsync();
        var relay = await App.CreateListenerAsync(new { name = "ui-https", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", tls = new { }, upstreamTls = new { allowUntrusted = true } });
        using var folder = new TempFolder();
        var ca = await App.SaveCaPemAsync(folder);

        var (code, body, error) = await Tool.RunAsync("curl", null, "-sS", "--noproxy", "*", "--max-time", "20", "--http2", "--cacert", ca,
            "--resolve", $"example.test:{relay.Port}:127.0.0.1", $"https://example.test:{relay.Port}/dashboard");
        Assert.True(code == 0, error);
        Assert.Equal("HTTP/2 /dashboard client=none", body);

        var session = await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireSession[]>("/api/sessions?state=all")).SingleOrDefault(s => s.ListenerId == "ui-https"), "the session");
        await SessionRow(session.Id).ClickAsync();
        var tls = Page.Locator("#session-tls");
        await Expect(tls).ToContainTextAsync("TLS client: sni example.test · h2", Soon);
        await Expect(tls).ToContainTextAsync("TLS upstream: CN=Socket Gateway listener upstream", Soon);
        await Expect(tls).ToContainTextAsync("accepted despite RemoteCertificateNameMismatch, RemoteCertificateChainErrors", Soon);
        // The decrypted bytes: the HTTP/2 connection preface, in the clear.
        await Expect(Page.Locator("#messages .msg.in").First).ToContainTextAsync("PRI * HTTP/2.0", Soon);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ArtifactPath("dashboard-tls.png"), FullPage = true });

        await Page.Locator("#trust-ca summary").ClickAsync();
        await Expect(Page.Locator("#trust-ca")).ToContainTextAsync("curl --cacert ca.pem", Soon);
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.Locator("#ca-download").ClickAsync());
        Assert.Equal("ca.pem", download.SuggestedFilename);
        var saved = Path.Combine(folder.Path, "downloaded.pem");
        await download.SaveAsAsync(saved);
        Assert.Equal(await File.ReadAllTextAsync(ca), await File.ReadAllTextAsync(saved));
    }
}
