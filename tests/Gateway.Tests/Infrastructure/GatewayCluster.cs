using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real cluster: PostgreSQL and redis-server from Debian, and gateway nodes from this build as processes
/// on 127.0.0.11, .12, .13 (each with its own capture store, its HTTP API and its default listeners on a
/// free port of its own address). Everything it starts, it stops.
/// </summary>
internal sealed class GatewayCluster : IAsyncDisposable
{
    private GatewayCluster(PostgresServer postgres, ServerProcess redis)
    {
        Postgres = postgres;
        Redis = redis;
    }

    public PostgresServer Postgres { get; }

    public ServerProcess Redis { get; private set; }

    /// <summary>Kills redis-server (an outage) and, after <paramref name="outage"/>, starts it again on the same port.</summary>
    public async Task RedisOutageAsync(TimeSpan outage, Func<Task> during)
    {
        var port = Redis.Port;
        await Redis.DisposeAsync();
        var started = DateTime.UtcNow;
        await during();
        var left = outage - (DateTime.UtcNow - started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left); // the outage's length is the scenario, not a wait for something to happen
        }

        Redis = await ServerProcess.RedisAsync(port);
    }

    public List<ClusterNodeProcess> Nodes { get; } = [];

    /// <summary>Whether this machine has what a cluster needs (PostgreSQL and redis-server).</summary>
    public static string? SkipReason =>
        PostgresServer.BinDirectory is null || !File.Exists("/usr/bin/redis-server")
            ? Environment.GetEnvironmentVariable("CI") == "true" ? null : "Cluster tests need PostgreSQL and redis-server: apt-get install -y postgresql redis-server."
            : null;

    public static async Task<GatewayCluster> StartAsync(int nodes = 3)
    {
        var postgres = await PostgresServer.StartNewAsync();
        var redis = await ServerProcess.RedisAsync();
        var cluster = new GatewayCluster(postgres, redis);
        try
        {
            var started = await Task.WhenAll(Enumerable.Range(1, nodes).Select(i => ClusterNodeProcess.StartAsync(cluster, $"n{i}", $"127.0.0.{10 + i}")));
            cluster.Nodes.AddRange(started);
            await Timeouts.Eventually(async () =>
            {
                var seen = await cluster.Nodes[0].Http.GetFromJsonAsync<JsonElement[]>("/api/nodes").Within();
                return seen!.Count(n => n.GetProperty("state").GetString() == "active") == nodes ? (object)true : null;
            }, $"{nodes} active nodes", TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            node.Dispose();
        }

        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

/// <summary>One gateway node of a <see cref="GatewayCluster"/>, with a capture store of its own that outlives a restart.</summary>
internal sealed class ClusterNodeProcess : IDisposable
{
    private readonly GatewayCluster _cluster;
    private readonly TempFolder _data;

    private ClusterNodeProcess(GatewayCluster cluster, string id, string address, TempFolder data)
    {
        _cluster = cluster;
        Id = id;
        Address = address;
        _data = data;
    }

    public string Id { get; }

    public string Address { get; }

    public GatewayProcess Process { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The node's default TCP listener (<c>tcp</c>), on its own address.</summary>
    public int TcpPort { get; private set; }

    public static string[] Arguments(GatewayCluster cluster, string id, string address, int siloPort) =>
    [
        "--urls", $"http://{address}:0",
        $"--AllowedHosts={address}",
        $"--Gateway:Listeners:0:Address={address}", "--Gateway:Listeners:0:Port=0",
        $"--Gateway:Listeners:1:Address={address}", "--Gateway:Listeners:1:Port=0",
        "--Gateway:Cluster:Enabled=true", $"--Gateway:Cluster:NodeId={id}", $"--Gateway:Cluster:Address={address}", $"--Gateway:Cluster:SiloPort={siloPort}",
        $"--ConnectionStrings:Cluster={cluster.Postgres.ConnectionString}", $"--ConnectionStrings:Redis=127.0.0.1:{cluster.Redis.Port}",
        "--Serilog:MinimumLevel:Default=Warning", "--Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime=Information",
    ];

    public static async Task<ClusterNodeProcess> StartAsync(GatewayCluster cluster, string id, string address)
    {
        var node = new ClusterNodeProcess(cluster, id, address, new TempFolder());
        try
        {
            await node.RunAsync();
            return node;
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    /// <summary>Starts it again (after a kill): the same name, address and capture store.</summary>
    public async Task RestartAsync()
    {
        Http.Dispose();
        Process.Dispose();
        await RunAsync();
    }

    private async Task RunAsync()
    {
        Process = GatewayProcess.Start(_data, Arguments(_cluster, Id, Address, ServerProcess.FreeTcpPort()));
        var listening = await Process.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60));
        Http = new HttpClient { BaseAddress = new Uri(listening.Groups[1].Value), Timeout = TimeSpan.FromSeconds(30) };
        var listeners = await Http.GetFromJsonAsync<JsonElement[]>("/api/listeners").Within();
        TcpPort = listeners!.Single(l => l.GetProperty("id").GetString() == "tcp").GetProperty("port").GetInt32();
    }

    public void Dispose()
    {
        Http?.Dispose();
        Process?.Dispose();
        _data.Dispose();
    }
}
