using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>pcapng and JSON exports, read back by tshark as Wireshark users would.</summary>
public sealed class ExportTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task TcpSessionPcapng_TsharkFollowStream_ReproducesBothDirectionsExactly(string address)
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var listener = await app.CreateListenerAsync(new { name = "t", protocol = "tcp", address, port = 0 });
        var ip = IPAddress.Parse(address);
        using var client = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(ip, listener.Port).Within();
        var session = await app.SessionOfAsync(client);

        var up = new MemoryStream();
        var down = new MemoryStream();
        foreach (var size in new[] { 14, 70_000, 1, 3000 })
        {
            var chunk = RandomNumberGenerator.GetBytes(size);
            await client.SendAllAsync(chunk);
            up.Write(chunk);
            await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).BytesIn == up.Length ? "" : null, "recorded");
            var reply = RandomNumberGenerator.GetBytes(size / 2 + 1);
            (await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = Convert.ToBase64String(reply), encoding = "base64" })).EnsureSuccessStatusCode();
            Assert.Equal(reply, await client.ReceiveExactlyAsync(reply.Length));
            down.Write(reply);
        }

        client.Shutdown(SocketShutdown.Both);
        await app.SessionOfAsync(client, "closed");

        var file = await DownloadAsync(app, $"/api/sessions/{session.Id}/capture.pcapng", folder, "session.pcapng");
        var (node0, node1, name0, name1) = await Tshark.FollowAsync(file, "tcp", 0);
        Assert.Equal(up.ToArray(), node0);
        Assert.Equal(down.ToArray(), node1);
        Assert.Equal(session.Remote, name0);
        Assert.Equal(listener.Port, new Uri($"tcp://{name1}").Port);

        await AssertChecksumsGoodAsync(file);
        var flags = await Tshark.RunAsync("-r", file, "-T", "fields", "-e", "tcp.flags.str");
        Assert.Contains("S", flags.Split('\n')[0]); // handshake first
        Assert.Equal(2, flags.Split('\n').Count(l => l.Contains('F'))); // a FIN each way at close
        var comment = await Tshark.RunAsync("-r", file, "-T", "fields", "-e", "frame.comment", "-c", "1");
        Assert.Contains($"session {session.Id}", comment);
    }

    [Fact]
    public async Task UdpSessionPcapng_TsharkFollowStream_ReproducesBothDirectionsExactly()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var up = new MemoryStream();
        var down = new MemoryStream();
        WireSession? session = null;
        for (var i = 0; i < 5; i++)
        {
            var datagram = RandomNumberGenerator.GetBytes(100 + (i * 1000));
            await client.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, app.UdpPort)).Within();
            up.Write(datagram);
            session ??= await app.SessionOfAsync(client.Client);
            var expected = i + 1;
            await app.MessagesUntilAsync(session.Id, m => m.Count(x => x.Direction == "in") == expected, "datagram recorded");
            var reply = RandomNumberGenerator.GetBytes(10 + i);
            (await app.PostAsync($"/api/sessions/{session.Id}/send", new { data = Convert.ToHexString(reply), encoding = "hex" })).EnsureSuccessStatusCode();
            Assert.Equal(reply, (await client.ReceiveAsync().Within()).Buffer);
            down.Write(reply);
        }

        var file = await DownloadAsync(app, $"/api/sessions/{session!.Id}/capture.pcapng", folder, "udp.pcapng");
        var (node0, node1, _, _) = await Tshark.FollowAsync(file, "udp", 0);
        Assert.Equal(up.ToArray(), node0);
        Assert.Equal(down.ToArray(), node1);
        await AssertChecksumsGoodAsync(file);
    }

    [Fact]
    public async Task CapturesPcapng_ByListenerAndTime_HoldsTheMatchingSessions()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var other = await app.CreateListenerAsync(new { name = "other", protocol = "tcp", port = 0 });
        using var a = await app.ConnectTcpAsync();
        await a.SendTextAsync("to the default listener");
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await b.ConnectAsync(IPAddress.Loopback, other.Port).Within();
        await b.SendTextAsync("to the other one");
        var sa = await app.SessionOfAsync(a);
        var sb = await app.SessionOfAsync(b);
        await app.MessagesUntilAsync(sa.Id, m => m.Length == 1, "a");
        await app.MessagesUntilAsync(sb.Id, m => m.Length == 1, "b");

        var all = await DownloadAsync(app, "/api/captures.pcapng", folder, "all.pcapng");
        var conversations = await Tshark.RunAsync("-r", all, "-qz", "conv,tcp");
        Assert.Contains($":{app.TcpPort}", conversations);
        Assert.Contains($":{other.Port}", conversations);
        var texts = new[] { (await Tshark.FollowAsync(all, "tcp", 0)).Node0, (await Tshark.FollowAsync(all, "tcp", 1)).Node0 }.Select(Encoding.UTF8.GetString);
        Assert.Equal(["to the default listener", "to the other one"], texts.Order());

        var onlyOther = await DownloadAsync(app, "/api/captures.pcapng?listenerId=other", folder, "other.pcapng");
        var (node0, _, _, name1) = await Tshark.FollowAsync(onlyOther, "tcp", 0);
        Assert.Equal("to the other one", Encoding.UTF8.GetString(node0));
        Assert.EndsWith($":{other.Port}", name1);
        Assert.DoesNotContain($":{app.TcpPort}", await Tshark.RunAsync("-r", onlyOther, "-qz", "conv,tcp"));

        var past = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-2).ToString("O"));
        var pastEnd = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"));
        var empty = await DownloadAsync(app, $"/api/captures.pcapng?from={past}&to={pastEnd}", folder, "empty.pcapng");
        Assert.Equal("", (await Tshark.RunAsync("-r", empty)).Trim());
        await ApiAssert.ProblemAsync(await app.Http.GetAsync($"/api/captures.pcapng?from={pastEnd}&to={past}").Within(), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UnixSessionPcapng_LoopbackPairWithComment()
    {
        await using var app = await GatewayApp.StartAsync();
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "g.sock");
        await app.CreateListenerAsync(new { name = "u", protocol = "unix", path });
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path)).Within();
        await client.SendTextAsync("over a unix socket");
        var session = await Timeouts.Eventually(async () => (await app.GetAsync<WireSession[]>("/api/sessions?listenerId=u")).FirstOrDefault(), "unix session");
        await app.MessagesUntilAsync(session.Id, m => m.Length == 1, "recorded");

        var file = await DownloadAsync(app, $"/api/sessions/{session.Id}/capture.pcapng", folder, "unix.pcapng");
        var (node0, _, name0, name1) = await Tshark.FollowAsync(file, "tcp", 0);
        Assert.Equal("over a unix socket", Encoding.UTF8.GetString(node0));
        Assert.StartsWith("127.0.0.2:", name0);
        Assert.StartsWith("127.0.0.1:", name1);
        Assert.Contains("unix socket session", await Tshark.RunAsync("-r", file, "-T", "fields", "-e", "frame.comment", "-c", "1"));
    }

    [Fact]
    public async Task SessionJson_HoldsSessionAndFullPayloads_UnknownSession404()
    {
        await using var app = await GatewayApp.StartAsync();
        using var client = await app.ConnectTcpAsync();
        var payload = RandomNumberGenerator.GetBytes(10_000);
        await client.SendAllAsync(payload);
        var session = await app.SessionOfAsync(client);
        await Timeouts.Eventually(async () => (await app.GetAsync<WireSession>($"/api/sessions/{session.Id}")).BytesIn == payload.Length ? "" : null, "recorded");

        var response = await app.Http.GetAsync($"/api/sessions/{session.Id}/capture.json").Within();
        response.EnsureSuccessStatusCode();
        Assert.Equal($"session-{session.Id}.json", response.Content.Headers.ContentDisposition?.FileName);
        var document = (await response.Content.ReadFromJsonAsync<WireCapture>(GatewayApp.Json).Within())!;
        Assert.Equal(session.Id, document.Session.Id);
        Assert.Equal(payload, document.Messages.SelectMany(m => m.Data).ToArray());

        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/sessions/999999/capture.json").Within(), HttpStatusCode.NotFound);
        await ApiAssert.ProblemAsync(await app.Http.GetAsync("/api/sessions/999999/capture.pcapng").Within(), HttpStatusCode.NotFound);
    }

    private static async Task<string> DownloadAsync(GatewayApp app, string path, TempFolder folder, string name)
    {
        var response = await app.Http.GetAsync(path).Within(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-pcapng", response.Content.Headers.ContentType?.MediaType);
        var file = Path.Combine(folder.Path, name);
        await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync().Within());
        return file;
    }

    /// <summary>Every IP, TCP and UDP checksum verifies (Wireshark's status 1 = good).</summary>
    private static async Task AssertChecksumsGoodAsync(string file)
    {
        var fields = await Tshark.RunAsync("-r", file, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "udp.checksum.status");
        var statuses = fields.Split(['\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal("1", s));
    }

    private sealed record WireCapture(WireSession Session, WireMessage[] Messages);
}
