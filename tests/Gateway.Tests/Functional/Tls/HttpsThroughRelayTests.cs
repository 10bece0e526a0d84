using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Tls;

/// <summary>curl through an intercepting relay to a real HTTPS server: both handshakes faithful, the plaintext in between.</summary>
public sealed class HttpsThroughRelayTests
{
    [Theory]
    [InlineData("--http1.1", "HTTP/1.1")]
    [InlineData("--http2", "HTTP/2")]
    public async Task Curl_TrustingTheCa_GetsTheRightBody_AlpnPassedOn_PlaintextRecorded(string flag, string protocol)
    {
        await using var app = await GatewayApp.StartAsync();
        await using var server = await TestHttpsServer.StartAsync();
        var relay = await app.CreateListenerAsync(new { name = "https", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", tls = new { }, upstreamTls = new { allowUntrusted = true } });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        var (code, body, error) = await Curl(ca, relay.Port, flag, "/hello");
        Assert.True(code == 0, error);
        Assert.True(body == $"{protocol} /hello client=none", body + error);

        // Closed by now, perhaps not yet in history: wait for it there.
        var session = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all")).SingleOrDefault(s => s.ListenerId == "https"), "the session");
        var alpn = protocol == "HTTP/2" ? "h2" : "http/1.1"; // curl offers both, or http/1.1 alone: the upstream chose, the client was told the same
        Assert.Equal((alpn, alpn), (session.Tls!.Client!.Alpn, session.Tls.Upstream!.Alpn));
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "out"), "the plaintext both ways");
        var request = Encoding.ASCII.GetString(messages.Where(m => m.Direction == "in").SelectMany(m => m.Data).ToArray());
        if (protocol == "HTTP/1.1")
        {
            Assert.StartsWith("GET /hello HTTP/1.1\r\n", request);
        }
        else
        {
            Assert.StartsWith("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", request); // the HTTP/2 preface, in the clear
        }
    }

    [Fact]
    public async Task UntrustedUpstreamCertificate_IsRejected_TheReasonSaysSo()
    {
        await using var app = await GatewayApp.StartAsync();
        await using var server = await TestHttpsServer.StartAsync();
        var relay = await app.CreateListenerAsync(new { name = "strict", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", tls = new { }, upstreamTls = new { } });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        var (code, _, _) = await Curl(ca, relay.Port, "--http1.1", "/");
        Assert.NotEqual(0, code);
        var closed = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=closed")).FirstOrDefault(s => s.ListenerId == "strict"), "the refused session");
        Assert.Contains("upstream certificate rejected", closed.CloseReason);
        Assert.Contains("RemoteCertificateChainErrors", closed.CloseReason);
    }

    [Fact]
    public async Task ClientCertificate_IsPresentedToAnUpstreamThatRequiresOne()
    {
        await using var app = await GatewayApp.StartAsync();
        await using var server = await TestHttpsServer.StartAsync(requireClientCertificate: true);
        using var folder = new TempFolder();
        var clientCertificate = Path.Combine(folder.Path, "client.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var request = new CertificateRequest("CN=gateway-client", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(clientCertificate, made.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        }

        var relay = await app.CreateListenerAsync(new
        {
            name = "mtls", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", tls = new { },
            upstreamTls = new { allowUntrusted = true, clientCertificatePath = clientCertificate },
        });
        var ca = await app.SaveCaPemAsync(folder);
        var (code, body, error) = await Curl(ca, relay.Port, "--http1.1", "/");
        Assert.True(code == 0, error);
        Assert.Equal("HTTP/1.1 / client=CN=gateway-client", body);

        await ApiAssert.ProblemAsync(await app.PostAsync("/api/listeners", new
        {
            name = "nocert", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", upstreamTls = new { clientCertificatePath = Path.Combine(folder.Path, "missing.pem") },
        }), HttpStatusCode.BadRequest, "clientCertificatePath");
    }

    [Fact]
    public async Task ReplaceRule_OnTheDecryptedRequest_ChangesWhatTheTlsUpstreamReceives()
    {
        await using var app = await GatewayApp.StartAsync();
        await using var server = await TestHttpsServer.StartAsync();
        var relay = await app.CreateListenerAsync(new
        {
            name = "rewrite", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{server.Port}", tls = new { }, upstreamTls = new { allowUntrusted = true },
            rules = new object[] { new { direction = "in", match = new { text = "GET /secret" }, action = new { type = "replace", regex = "^GET /secret", with = "GET /public" } } },
        });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);
        var (code, body, error) = await Curl(ca, relay.Port, "--http1.1", "/secret");
        Assert.True(code == 0, error);
        Assert.Equal("HTTP/1.1 /public client=none", body);
    }

    private static async Task<(int Code, string Body, string Error)> Curl(string ca, int port, string flag, string path)
    {
        // --noproxy: a proxy in the environment must not stand between curl and the gateway on loopback.
        var (code, output, error) = await Tool.RunAsync("curl", null, "-sS", "--noproxy", "*", "--max-time", "20", flag, "--cacert", ca,
            "--resolve", $"example.test:{port}:127.0.0.1", $"https://example.test:{port}{path}");
        return (code, output, error);
    }
}
