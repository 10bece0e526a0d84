using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>The Toxiproxy set of faults on relays, each checked by its observable effect.</summary>
public sealed class FaultTests(AppFixture fixture) : IClassFixture<AppFixture>, IDisposable
{
    private readonly EchoServer _echo = new();

    private GatewayApp App => fixture.App;

    public void Dispose() => _echo.Dispose();

    [Fact]
    public async Task Latency_AddedToAnExistingSession_DelaysItsMessages_AndIsNamedInTheWatchEvent()
    {
        var relay = await RelayAsync("fault-latency");
        using var client = await ConnectAsync(relay);
        var session = await App.SessionOfAsync(client);

        var fault = await AddFaultAsync(relay.Id, new { type = "latency", direction = "in", ms = 600, jitterMs = 0, toxicity = 1.0 });
        var watch = Stopwatch.StartNew();
        await client.SendTextAsync("slow");
        await client.ReceiveExactlyAsync(4);
        watch.Stop();

        Assert.Equal("latency", fault.Type);
        Assert.InRange(watch.ElapsedMilliseconds, 580, 3000);
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "in"), "the delayed message");
        Assert.Equal(["latency"], messages.First(m => m.Direction == "in").Faults ?? []);

        Assert.Equal(HttpStatusCode.NoContent, (await App.Http.DeleteAsync($"/api/listeners/{relay.Id}/faults/{fault.Id}").Within()).StatusCode);
        watch.Restart();
        await client.SendTextAsync("fast");
        await client.ReceiveExactlyAsync(4);
        Assert.True(watch.ElapsedMilliseconds < 500, $"after removal the round trip took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Bandwidth_CapIsApproximatelyHonoured()
    {
        var relay = await RelayAsync("fault-bandwidth");
        await AddFaultAsync(relay.Id, new { type = "bandwidth", direction = "in", kbps = 1600 }); // 200 KB/s
        using var client = await ConnectAsync(relay);
        var payload = new byte[400_000];

        var watch = Stopwatch.StartNew();
        var sending = Task.Run(() => client.SendAllAsync(payload));
        await client.ReceiveExactlyAsync(payload.Length, TimeSpan.FromSeconds(20));
        watch.Stop();
        await sending.Within();

        // 400 KB at 200 KB/s is 2 s; the last chunk's pause comes after it is delivered.
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.0, 8.0);
    }

    [Fact]
    public async Task Timeout_StopsForwarding_ThenClosesTheSession()
    {
        var relay = await RelayAsync("fault-timeout");
        await AddFaultAsync(relay.Id, new { type = "timeout", direction = "in", ms = 300 });
        using var client = await ConnectAsync(relay);

        await client.SendTextAsync("never arrives");

        Assert.Empty(await client.ReceiveToEndAsync());
        var session = await App.SessionOfAsync(client, "closed");
        Assert.Equal("fault: timeout", session.CloseReason);
        Assert.Equal(0, session.BytesOut);
    }

    [Fact]
    public async Task ResetPeer_TheClientSeesAReset()
    {
        var relay = await RelayAsync("fault-reset");
        await AddFaultAsync(relay.Id, new { type = "resetPeer", direction = "both", afterMs = 50 });
        using var client = await ConnectAsync(relay);

        await client.SendTextAsync("hello");

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            while (true)
            {
                await client.ReceiveToEndAsync();
            }
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal("fault: resetPeer", (await App.SessionOfAsync(client, "closed")).CloseReason);
    }

    [Fact]
    public async Task LimitData_ForwardsExactlyTheLimit_ThenCloses()
    {
        using var upstream = new LoopbackServer();
        var relay = await App.CreateListenerAsync(new { name = "fault-limit", protocol = "tcp", port = 0, upstream = $"127.0.0.1:{upstream.Port}" });
        await AddFaultAsync(relay.Id, new { type = "limitData", direction = "in", bytes = 10 });
        var accepting = upstream.AcceptAsync();
        using var client = await ConnectAsync(relay);
        using var server = await accepting.Within();

        await client.SendTextAsync("0123456789abcdefghij");

        Assert.Equal("0123456789", Encoding.ASCII.GetString(await server.ReceiveToEndAsync()));
        Assert.Equal("fault: limitData", (await App.SessionOfAsync(client, "closed")).CloseReason);
    }

    [Fact]
    public async Task Slicer_DeliversEverything_AndIsNamed()
    {
        var relay = await RelayAsync("fault-slicer");
        await AddFaultAsync(relay.Id, new { type = "slicer", direction = "out", averageSize = 8, sizeVariation = 4, delayUs = 500 });
        using var client = await ConnectAsync(relay);
        var session = await App.SessionOfAsync(client);
        var text = string.Concat(Enumerable.Repeat("sliced!", 20));

        await client.SendTextAsync(text);

        Assert.Equal(text, Encoding.ASCII.GetString(await client.ReceiveExactlyAsync(text.Length)));
        var messages = await App.MessagesUntilAsync(session.Id, m => m.Any(x => x.Direction == "out"), "the echo");
        Assert.All(messages.Where(m => m.Direction == "out"), m => Assert.Equal(["slicer"], m.Faults ?? []));
    }

    [Fact]
    public async Task UdpLoss_DropRateWithinAStatisticalBound()
    {
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await UdpRelayAsync("fault-loss", upstream);
        await AddFaultAsync(relay.Id, new { type = "loss", direction = "in", percent = 30 });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        const int sent = 400;

        for (var i = 0; i < sent; i++)
        {
            await client.SendAsync(BitConverter.GetBytes(i), new IPEndPoint(IPAddress.Loopback, relay.Port)).Within();
            if (i % 50 == 0)
            {
                await Task.Delay(5); // stay well inside socket buffers: only the fault may lose datagrams
            }
        }

        var received = 0;
        using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            while (true)
            {
                await upstream.ReceiveAsync(quiet.Token);
                received++;
                quiet.CancelAfter(TimeSpan.FromMilliseconds(500));
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Expected 280 of 400 (binomial, sd ≈ 9.2): 5 sd either way.
        Assert.InRange(received, 234, 326);
    }

    [Fact]
    public async Task UdpDuplicate_EveryDatagramTwice()
    {
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var relay = await UdpRelayAsync("fault-dup", upstream);
        await AddFaultAsync(relay.Id, new { type = "duplicate", direction = "in", percent = 100 });
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        await client.SendAsync(Encoding.ASCII.GetBytes("twice"), new IPEndPoint(IPAddress.Loopback, relay.Port)).Within();

        Assert.Equal("twice", Encoding.ASCII.GetString((await upstream.ReceiveAsync().Within()).Buffer));
        Assert.Equal("twice", Encoding.ASCII.GetString((await upstream.ReceiveAsync().Within()).Buffer));
    }

    [Theory]
    [InlineData("fault-api", "{\"type\":\"earthquake\"}", 400, "not a fault")]
    [InlineData("fault-api", "{\"type\":\"latency\"}", 400, "ms")]
    [InlineData("fault-api", "{\"type\":\"latency\",\"ms\":5,\"toxicity\":2}", 400, "toxicity")]
    [InlineData("fault-api", "{\"type\":\"loss\",\"percent\":5}", 400, "udp")]
    [InlineData("fault-api", "{\"type\":\"latency\",\"ms\":5,\"direction\":\"up\"}", 400, "direction")]
    [InlineData("tcp", "{\"type\":\"latency\",\"ms\":5}", 400, "not a relay")]
    [InlineData("nope", "{\"type\":\"latency\",\"ms\":5}", 404, "nope")]
    public async Task AddFault_Invalid_IsAProblem(string listener, string body, int status, string expected)
    {
        if (listener == "fault-api" && (await App.GetListenersAsync()).All(l => l.Id != "fault-api"))
        {
            await RelayAsync("fault-api");
        }

        var response = await App.PostJsonTextAsync($"/api/listeners/{listener}/faults", body);

        await ApiAssert.ProblemAsync(response, (HttpStatusCode)status, expected);
    }

    [Fact]
    public async Task Faults_AreListedAndRemovable()
    {
        var relay = await RelayAsync("fault-list");
        var added = await AddFaultAsync(relay.Id, new { type = "latency", direction = "out", ms = 10, toxicity = 0.5 });

        var listed = Assert.Single(await App.GetAsync<WireFault[]>($"/api/listeners/{relay.Id}/faults"));
        Assert.Equal((added.Id, "latency", "out", 0.5, 10), (listed.Id, listed.Type, listed.Direction, listed.Toxicity, listed.Ms));
        Assert.Equal(HttpStatusCode.NoContent, (await App.Http.DeleteAsync($"/api/listeners/{relay.Id}/faults/{added.Id}").Within()).StatusCode);
        Assert.Empty(await App.GetAsync<WireFault[]>($"/api/listeners/{relay.Id}/faults"));
        await ApiAssert.ProblemAsync(await App.Http.DeleteAsync($"/api/listeners/{relay.Id}/faults/{added.Id}").Within(), HttpStatusCode.NotFound);
    }

    private Task<WireListener> UdpRelayAsync(string name, UdpClient upstream) =>
        App.CreateListenerAsync(new { name, protocol = "udp", port = 0, upstream = $"127.0.0.1:{((IPEndPoint)upstream.Client.LocalEndPoint!).Port}" });

    private Task<WireListener> RelayAsync(string name) =>
        App.CreateListenerAsync(new { name, protocol = "tcp", port = 0, upstream = $"127.0.0.1:{_echo.Port}" });

    private async Task<WireFault> AddFaultAsync(string listener, object body)
    {
        var response = await App.PostAsync($"/api/listeners/{listener}/faults", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<WireFault>(GatewayApp.Json).Within())!;
    }

    private static async Task<Socket> ConnectAsync(WireListener relay)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, relay.Port).Within();
        return client;
    }
}
