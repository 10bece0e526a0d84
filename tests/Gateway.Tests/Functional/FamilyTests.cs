using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>IPv6 and Unix domain sockets, as listeners and as outbound connections.</summary>
public sealed class FamilyTests(AppFixture fixture) : IClassFixture<AppFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-unix-").FullName;

    private GatewayApp App => fixture.App;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Ipv6Loopback_RemoteShownInBrackets()
    {
        var listener = await App.CreateListenerAsync(new { name = "v6-loop", protocol = "tcp", address = "::1", port = 0 });
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.IPv6Loopback, listener.Port).Within();

        var session = await App.SessionOfAsync(client);

        Assert.Equal($"[::1]:{((IPEndPoint)client.LocalEndPoint!).Port}", session.Remote);
        Assert.Equal($"[::1]:{listener.Port}", session.Local);
    }

    [Fact]
    public async Task DualMode_AcceptsIpv4AndIpv6Clients()
    {
        var listener = await App.CreateListenerAsync(new { name = "v6-dual", protocol = "tcp", address = "::", port = 0 });
        using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);

        await v4.ConnectAsync(IPAddress.Loopback, listener.Port).Within();
        await v6.ConnectAsync(IPAddress.IPv6Loopback, listener.Port).Within();

        Assert.StartsWith("127.0.0.1:", (await App.SessionOfAsync(v4)).Remote);
        Assert.StartsWith("[::1]:", (await App.SessionOfAsync(v6)).Remote);
    }

    [Fact]
    public async Task UdpDualMode_ReplyReachesAnIpv4Sender()
    {
        var listener = await App.CreateListenerAsync(new { name = "v6-udp", protocol = "udp", address = "::", port = 0 });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await client.SendAsync(Encoding.ASCII.GetBytes("v4 dgram"), new IPEndPoint(IPAddress.Loopback, listener.Port)).Within();
        var session = await App.SessionOfAsync(client.Client.LocalEndPoint!);
        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "v4 reply" });

        Assert.Equal("v4 reply", Encoding.ASCII.GetString((await client.ReceiveAsync().Within()).Buffer));
    }

    [Fact]
    public async Task UnixListener_SessionShowsPathAndPeer_FileRemovedOnStop()
    {
        var path = Path.Combine(_dir, "gw.sock");
        var listener = await App.CreateListenerAsync(new { name = "unix-a", protocol = "unix", path });
        Assert.Equal(("unix", path), (listener.Protocol, listener.Path));

        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path)).Within();
        await client.SendTextAsync("over unix");
        var session = await Timeouts.Eventually(async () =>
            (await App.GetAsync<WireSession[]>("/api/sessions?listenerId=unix-a")).FirstOrDefault(s => s.BytesIn == 9), "the unix session");
        Assert.Equal("unix", session.Protocol);
        Assert.Equal(path, session.Local);
        Assert.Equal($"unix:pid={Environment.ProcessId},uid={GetUid()}", session.Remote);

        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "back over unix" });
        Assert.Equal("back over unix", Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(14)));

        Assert.Equal(HttpStatusCode.NoContent, (await App.Http.DeleteAsync("/api/listeners/unix-a").Within()).StatusCode);
        Assert.False(File.Exists(path), "the socket file is removed on stop");
        Assert.Empty(await client.ReceiveToEndAsync());
    }

    [Fact]
    public async Task UnixListener_StaleSocketFile_IsReplaced_LiveOneIs409()
    {
        var stale = Path.Combine(_dir, "stale.sock");
        // A process that bound the path and died leaves the socket file behind (.NET would delete it on dispose).
        using (var python = System.Diagnostics.Process.Start("python3", ["-c", $"import socket; socket.socket(socket.AF_UNIX).bind('{stale}')"]))
        {
            await python.WaitForExitAsync().Within();
        }

        Assert.True(File.Exists(stale));
        var listener = await App.CreateListenerAsync(new { name = "unix-stale", protocol = "unix", path = stale });
        Assert.Equal("listening", listener.State);

        var live = Path.Combine(_dir, "live.sock");
        using var owner = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        owner.Bind(new UnixDomainSocketEndPoint(live));
        owner.Listen();
        var response = await App.PostAsync("/api/listeners", new { name = "unix-live", protocol = "unix", path = live });
        await ApiAssert.ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.True(File.Exists(live), "a live socket's file is left alone");
        await App.Http.DeleteAsync("/api/listeners/unix-stale").Within();
    }

    [Fact]
    public async Task OutboundUnix_TalksToAUnixServer()
    {
        var path = Path.Combine(_dir, "server.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(path));
        server.Listen();
        var accepting = server.AcceptAsync();

        var session = await App.ConnectOutAsync(new { protocol = "unix", path });
        using var peer = await accepting.Within();
        await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "hello unix server" });

        Assert.Equal(("unix", "outbound", path), (session.Protocol, session.Kind, session.Remote));
        Assert.Equal("hello unix server", Encoding.ASCII.GetString(await peer.ReceiveExactlyAsync(17)));
        await ApiAssert.ProblemAsync(await App.PostAsync("/api/connections", new { protocol = "unix", path = path + ".missing" }),
            HttpStatusCode.BadGateway, "no socket file");
    }

    private static string GetUid() => File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
}
