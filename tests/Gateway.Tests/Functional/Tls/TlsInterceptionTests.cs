using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional.Tls;

/// <summary>Relays that terminate the client's TLS with certificates minted by the gateway CA, seen from real TLS clients.</summary>
public sealed class TlsInterceptionTests
{
    /// <summary>A Python TLS client: trusts only <c>argv[1]</c> (or nothing), asks for <c>argv[3]</c> by SNI, sends a line, prints the answer.</summary>
    private const string PythonClient = """
        import socket, ssl, sys
        cafile, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        context = ssl.create_default_context(cafile=cafile or None)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=name) as tls:
                    tls.sendall(b"GET / HTTP/1.1\r\n\r\n")
                    print("ANSWER", tls.recv(100).decode())
        except ssl.SSLError as error:
            print("SSLERROR", error)
        """;

    [Fact]
    public async Task Ca_ServedWithoutItsKey_KeyFileOwnerOnly_SameAfterARestart()
    {
        using var folder = new TempFolder();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Capture"] = GatewayApp.CaptureDatabase(folder) };
        string pem;
        await using (var app = await GatewayApp.StartAsync(settings))
        {
            pem = await app.Http.GetStringAsync("/api/tls/ca.pem").Within();
            var der = await app.Http.GetByteArrayAsync("/api/tls/ca.crt").Within();
            Assert.Equal(X509Certificate2.CreateFromPem(pem).Thumbprint, X509CertificateLoader.LoadCertificate(der).Thumbprint);
        }

        Assert.DoesNotContain("PRIVATE KEY", pem);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder.Path, "gateway-ca.key")));
        }
        var file = Path.Combine(folder.Path, "served.pem");
        await File.WriteAllTextAsync(file, pem);
        var (code, x509, error) = await Tool.RunAsync("openssl", null, "x509", "-in", file, "-noout", "-subject", "-ext", "basicConstraints");
        Assert.True(code == 0, error);
        Assert.Contains("Socket Gateway CA", x509);
        Assert.Contains("CA:TRUE", x509);

        await using (var again = await GatewayApp.StartAsync(settings))
        {
            Assert.Equal(pem, await again.Http.GetStringAsync("/api/tls/ca.pem").Within());
        }
    }

    [Fact]
    public async Task InterceptingRelay_AClientTrustingTheCa_ReachesATlsUpstream_PlaintextRecordedBothWays_SniPassedOn()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new TlsEchoServer();
        var relay = await app.CreateListenerAsync(new
        {
            name = "mitm", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}",
            tls = new { }, upstreamTls = new { allowUntrusted = true },
        });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        var (_, output, error) = await Tool.RunAsync("python3", null, "-c", PythonClient, ca, relay.Port.ToString(), "example.test");
        Assert.True(output.Contains("ANSWER echo: GET / HTTP/1.1"), output + error);
        Assert.Equal("example.test", await upstream.Sni.Task.Within());

        // Closed by now, perhaps not yet in history: wait for it there.
        var session = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all")).SingleOrDefault(s => s.ListenerId == "mitm"), "the session");
        // Both handshakes, as each went: the name the client asked for, and the upstream's self-signed certificate (accepted by allowUntrusted).
        Assert.Equal("example.test", session.Tls!.Client!.Sni);
        Assert.StartsWith("Tls1", session.Tls.Client.Protocol);
        Assert.Contains("upstream", session.Tls.Upstream!.Subject);
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", session.Tls.Upstream.Sha256);
        Assert.Contains("RemoteCertificateChainErrors", session.Tls.Upstream.Errors);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length >= 2, "the plaintext both ways");
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", Encoding.ASCII.GetString(messages.First(m => m.Direction == "in").Data));
        Assert.StartsWith("echo: GET /", Encoding.ASCII.GetString(messages.First(m => m.Direction == "out").Data));
        var listener = await app.GetAsync<System.Text.Json.JsonElement>("/api/listeners/mitm");
        Assert.True(listener.GetProperty("tls").GetProperty("ca").GetBoolean());
    }

    [Fact]
    public async Task HoldRule_OnAnInterceptingRelay_TheEditedPlaintextIsWhatTheTlsUpstreamGets()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new TlsEchoServer();
        var relay = await app.CreateListenerAsync(new
        {
            name = "mitm", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", tls = new { }, upstreamTls = new { allowUntrusted = true },
            rules = new object[] { new { direction = "in", action = new { type = "hold" } } },
        });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        var client = Tool.RunAsync("python3", null, "-c", PythonClient, ca, relay.Port.ToString(), "example.test");
        var held = await Timeouts.Eventually(async () => (await app.GetAsync<WireHeld[]>("/api/held")).SingleOrDefault(), "the held request");
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", Encoding.ASCII.GetString(held.Data));
        (await app.PostAsync($"/api/held/{held.Id}/forward", new { data = "GET /edited HTTP/1.1\r\n\r\n" })).EnsureSuccessStatusCode();

        var (_, output, error) = await client.Within();
        Assert.True(output.Contains("ANSWER echo: GET /edited HTTP/1.1"), output + error);
    }

    [Fact]
    public async Task TlsAlone_TerminatesTheClientsTls_AndForwardsPlaintextToAPlainUpstream()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new EchoServer();
        var relay = await app.CreateListenerAsync(new { name = "terminate", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", tls = new { } });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        // The plain echo server gets (and echoes) the plaintext; the client reads it back inside TLS.
        var (_, output, error) = await Tool.RunAsync("python3", null, "-c", PythonClient, ca, relay.Port.ToString(), "plain.test");
        Assert.True(output.Contains("ANSWER GET / HTTP/1.1"), output + error);
        var session = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all")).SingleOrDefault(s => s.ListenerId == "terminate"), "the session");
        Assert.Equal("plain.test", session.Tls!.Client!.Sni);
        Assert.Null(session.Tls.Upstream);
    }

    [Fact]
    public async Task OwnCa_FromConfiguration_SignsTheLeaves_AndIsTheOneServed()
    {
        using var folder = new TempFolder();
        var caFile = Path.Combine(folder.Path, "own-ca.pem");
        var keyFile = Path.Combine(folder.Path, "own-ca.key");
        using (var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            var request = new CertificateRequest("CN=Team Test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllTextAsync(caFile, made.ExportCertificatePem());
            await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        }

        await using var app = await GatewayApp.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Tls:CaCertificatePath"] = caFile,
            ["Gateway:Tls:CaKeyPath"] = keyFile,
        });
        var served = await app.Http.GetStringAsync("/api/tls/ca.pem").Within();
        Assert.Equal(X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caFile)).Thumbprint, X509Certificate2.CreateFromPem(served).Thumbprint);

        using var upstream = new TlsEchoServer();
        var relay = await app.CreateListenerAsync(new { name = "own", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", tls = new { }, upstreamTls = new { allowUntrusted = true } });
        var (_, output, error) = await Tool.RunAsync("python3", null, "-c", PythonClient, caFile, relay.Port.ToString(), "team.test");
        Assert.True(output.Contains("ANSWER echo: GET / HTTP/1.1"), output + error);
    }

    [Fact]
    public async Task PlainListenerWithCa_PresentsALeafPerName_AndRecordsThePlaintext()
    {
        await using var app = await GatewayApp.StartAsync();
        var listener = await app.CreateListenerAsync(new { name = "device", protocol = "tcp", port = 0, tls = new { ca = true }, rules = new object[] { new { match = new { text = "GET" }, action = new { type = "reply", data = "pong" } } } });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        var (_, output, error) = await Tool.RunAsync("python3", null, "-c", PythonClient, ca, listener.Port.ToString(), "device.test");
        Assert.True(output.Contains("ANSWER pong"), output + error); // an auto-responder inside TLS
        var session = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=all")).SingleOrDefault(s => s.ListenerId == "device"), "the session");
        Assert.Equal("device.test", session.Tls!.Client!.Sni);
        var messages = await app.MessagesUntilAsync(session.Id, m => m.Length >= 2, "request and reply");
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", Encoding.ASCII.GetString(messages[0].Data));
    }

    [Fact]
    public async Task OpensslAskingForAName_GetsALeafForIt_SignedByTheGatewayCa()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new TlsEchoServer();
        var relay = await app.CreateListenerAsync(new { name = "mitm", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", tls = new { ca = true }, upstreamTls = new { allowUntrusted = true } });
        using var folder = new TempFolder();
        var ca = await app.SaveCaPemAsync(folder);

        var (_, output, error) = await Tool.RunAsync("openssl", "", "s_client", "-connect", $"127.0.0.1:{relay.Port}", "-servername", "example.test", "-CAfile", ca, "-verify_return_error");
        var all = output + error;
        Assert.Matches("issuer=.*CN = Socket Gateway CA", all);
        Assert.Contains("subject=CN = example.test", all);
        Assert.Contains("Verify return code: 0 (ok)", all);
    }

    [Fact]
    public async Task ClientNotTrustingTheCa_OrNotSpeakingTls_ClosesTheSessionSayingWhy()
    {
        await using var app = await GatewayApp.StartAsync();
        using var upstream = new TlsEchoServer();
        var relay = await app.CreateListenerAsync(new { name = "mitm", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}", tls = new { }, upstreamTls = new { allowUntrusted = true } });

        var (_, output, _) = await Tool.RunAsync("python3", null, "-c", PythonClient, "", relay.Port.ToString(), "example.test");
        Assert.Contains("SSLERROR", output);
        var refused = await Timeouts.Eventually(async () =>
            (await app.GetAsync<WireSession[]>("/api/sessions?state=closed")).FirstOrDefault(s => s.ListenerId == "mitm"), "the refused session");
        Assert.True(refused.CloseReason!.Contains("client does not trust the gateway CA"), refused.CloseReason);

        using var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await plain.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        await plain.SendTextAsync("GET / HTTP/1.1\r\n\r\n");
        var closed = await app.SessionOfAsync(plain, "closed");
        Assert.Contains("client did not start TLS", closed.CloseReason);
        Assert.Contains("'G'", closed.CloseReason);
    }

    /// <summary>A TLS server on loopback with a self-signed certificate: answers each read with "echo: " and what it read, and remembers the SNI it was asked for.</summary>
    private sealed class TlsEchoServer : IDisposable
    {
        private readonly LoopbackServer _server = new();
        private readonly X509Certificate2 _certificate = Gateway.Listeners.TlsCertificates.CreateSelfSigned("upstream");

        public TlsEchoServer() => _ = ServeAsync();

        public int Port => _server.Port;

        public TaskCompletionSource<string> Sni { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            _server.Dispose();
            _certificate.Dispose();
        }

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _server.AcceptAsync();
                    _ = Task.Run(async () =>
                    {
                        using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                        try
                        {
                            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate });
                            Sni.TrySetResult(ssl.TargetHostName);
                            var buffer = new byte[4096];
                            int read;
                            while ((read = await ssl.ReadAsync(buffer)) > 0)
                            {
                                await ssl.WriteAsync(Encoding.ASCII.GetBytes("echo: ").Concat(buffer[..read]).ToArray());
                            }
                        }
                        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                        {
                            // The client went away.
                        }
                    });
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
