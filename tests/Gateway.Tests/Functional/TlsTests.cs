using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>TLS listeners (self-signed or from a file) and outbound TLS; the watched bytes are the decrypted ones.</summary>
public sealed class TlsTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Fact]
    public async Task SelfSignedListener_ClientPinningTheFingerprint_ExchangesDecryptedData()
    {
        var listener = await App.CreateListenerAsync(new { name = "tls-self", protocol = "tcp", port = 0, tls = new { selfSigned = true } });
        Assert.NotNull(listener.Tls);
        Assert.True(listener.Tls.SelfSigned);
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", listener.Tls.Fingerprint);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
            certificate is not null && Fingerprint(certificate) == listener.Tls.Fingerprint);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }).Within();
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("secret ping")).Within();

        var session = await App.SessionOfAsync(tcp.Client);
        Assert.NotNull(session.Tls);
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Length == 1, "the decrypted message");
        Assert.Equal("secret ping", Encoding.ASCII.GetString(messages[0].Data));

        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "secret pong" });
        var reply = new byte[11];
        await ssl.ReadExactlyAsync(reply).Within();
        Assert.Equal("secret pong", Encoding.ASCII.GetString(reply));
    }

    [Fact]
    public async Task CertificateFileListener_PresentsThatCertificate()
    {
        var pfx = Path.Combine(Path.GetTempPath(), $"gw-test-{Guid.NewGuid():N}.pfx");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=gateway-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pw"));
        try
        {
            var listener = await App.CreateListenerAsync(new
            {
                name = "tls-file", protocol = "tcp", port = 0, tls = new { certificatePath = pfx, password = "pw" },
            });

            Assert.False(listener.Tls!.SelfSigned);
            Assert.Equal(Fingerprint(certificate), listener.Tls.Fingerprint);
            var wrong = await App.PostAsync("/api/listeners", new
            {
                name = "tls-wrong-pw", protocol = "tcp", port = 0, tls = new { certificatePath = pfx, password = "nope" },
            });
            await ApiAssert.ProblemAsync(wrong, HttpStatusCode.BadRequest, "certificate");
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    [Fact]
    public async Task PlainTextToTlsListener_SessionClosedWithHandshakeReason()
    {
        var listener = await App.CreateListenerAsync(new { name = "tls-strict", protocol = "tcp", port = 0, tls = new { selfSigned = true } });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, listener.Port).Within();

        await client.SendTextAsync("GET / HTTP/1.0\r\n\r\n");

        var closed = await App.SessionOfAsync(client, "closed");
        Assert.StartsWith("tls handshake failed", closed.CloseReason);
    }

    [Fact]
    public async Task OutboundTls_AllowUntrusted_Connects_StrictValidationIs502()
    {
        // The TLS server is another gateway: connecting to one's own listeners is refused as a loop.
        await using var other = await GatewayApp.StartAsync();
        var listener = await other.CreateListenerAsync(new { name = "tls-target", protocol = "tcp", port = 0, tls = new { selfSigned = true } });

        var strict = await App.PostAsync("/api/connections", new { host = "127.0.0.1", port = listener.Port, tls = new { serverName = "localhost" } });
        await ApiAssert.ProblemAsync(strict, HttpStatusCode.BadGateway, "TLS handshake");

        var session = await App.ConnectOutAsync(new
        {
            host = "127.0.0.1", port = listener.Port, tls = new { serverName = "localhost", allowUntrusted = true },
        });
        Assert.NotNull(session.Tls);
        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "through tls" });

        // The other gateway's TLS listener decrypted it: both ends show the plain text.
        var accepted = await Timeouts.Eventually(async () =>
            (await other.GetAsync<WireSession[]>("/api/sessions?listenerId=tls-target")).FirstOrDefault(s => s.BytesIn == 11), "the accepted side");
        var messages = await other.MessagesAsync(accepted.Id);
        Assert.Equal("through tls", Encoding.ASCII.GetString(messages.Single().Data));
    }

    private static string Fingerprint(X509Certificate certificate) =>
        string.Join(':', SHA256.HashData(certificate.GetRawCertData()).Select(b => b.ToString("X2")));
}
