using System.Net;
using System.Text.RegularExpressions;
using Gateway.Configuration;
using Npgsql;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Gateway.Cluster;

/// <summary>
/// Cluster mode (<c>Gateway:Cluster:Enabled</c>): checks that PostgreSQL and Redis answer (one clear line
/// when not), prepares the tables, registers this node, and hosts an Orleans silo beside the app (ADO.NET
/// clustering on PostgreSQL) with Redis as the SignalR backplane. Without it, nothing here runs.
/// </summary>
internal static partial class ClusterComposition
{
    /// <summary>How long start-up waits for PostgreSQL or Redis before it gives up.</summary>
    private const int ConnectSeconds = 5;

    public static void AddGatewayCluster(this WebApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection($"{Configuration.GatewayOptions.Section}:Cluster").Get<ClusterModeOptions>() ?? new();
        if (!settings.Enabled)
        {
            return;
        }

        var nodeId = string.IsNullOrWhiteSpace(settings.NodeId) ? Environment.MachineName : settings.NodeId.Trim();
        if (!NodeName().IsMatch(nodeId))
        {
            throw new InvalidOperationException($"Gateway:Cluster:NodeId '{nodeId}' is not a node name: 1 to 64 letters, digits, '.', '_' or '-'.");
        }

        if (!IPAddress.TryParse(settings.Address, out var address))
        {
            throw new InvalidOperationException($"Gateway:Cluster:Address '{settings.Address}' is not an IP address.");
        }

        if (settings.SiloPort is < 1 or > 65535)
        {
            throw new InvalidOperationException($"Gateway:Cluster:SiloPort must be between 1 and 65535 (was {settings.SiloPort}).");
        }

        if (settings.CallTimeoutSeconds is <= 0 or > 300)
        {
            throw new InvalidOperationException($"Gateway:Cluster:CallTimeoutSeconds must be above 0 and at most 300 (was {settings.CallTimeoutSeconds}).");
        }

        if (settings.EventQueueCapacity < 1 || settings.EventQueueBytes < 1)
        {
            throw new InvalidOperationException(
                $"Gateway:Cluster:EventQueueCapacity and EventQueueBytes must be positive (were {settings.EventQueueCapacity} and {settings.EventQueueBytes}).");
        }

        var postgres = builder.Configuration.GetConnectionString("Cluster");
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(postgres) || string.IsNullOrWhiteSpace(redis))
        {
            throw new InvalidOperationException("Gateway:Cluster:Enabled needs ConnectionStrings:Cluster (PostgreSQL) and ConnectionStrings:Redis.");
        }

        var database = ConnectPostgres(postgres, nodeId, settings.Address, out var number);
        CheckRedis(redis);
        var node = new ClusterNode(nodeId, number, settings.Address);

        builder.Services.AddSingleton(node);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton<ClusterView>();
        builder.Services.AddSingleton<ClusterListeners>();
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var events = ConfigurationOptions.Parse(redis);
            events.AbortOnConnectFail = false; // Redis may come and go: events wait or are dropped, the node stays up
            return ConnectionMultiplexer.Connect(events);
        });
        builder.Services.AddSingleton<ClusterEvents>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterEvents>());
        builder.Services.AddHostedService<ClusterWatcher>();
        builder.Services.AddHostedService<ClusterListenerSync>();
        builder.Services.AddSingleton<HistoryShipper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HistoryShipper>());
        builder.Services.AddSingleton<ClusterHistory>();
        builder.Services.AddHealthChecks().AddCheck<ClusterHealth>("redis");
        builder.Services.AddSignalR().AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = RedisChannel.Literal($"socket-gateway:{settings.ClusterId}"));
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = "socket-gateway";
            });
            silo.Configure<SiloOptions>(o => o.SiloName = nodeId);
            silo.ConfigureEndpoints(address, settings.SiloPort, gatewayPort: 0);
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = postgres;
            });
            // A node that dies is declared dead within seconds (the issue asks for 20 s end to end), not minutes.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedProbesLimit = 2;
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
                o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
                o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(settings.CallTimeoutSeconds));
            silo.AddNodePlacement();
        });
    }

    /// <summary>Grains marked <see cref="NodePlacementAttribute"/> live on the node their key names.</summary>
    public static ISiloBuilder AddNodePlacement(this ISiloBuilder silo)
    {
        silo.Services.AddPlacementDirector<NodePlacement, NodePlacementDirector>();
        return silo;
    }

    private static NpgsqlDataSource ConnectPostgres(string connectionString, string nodeId, string address, out int number)
    {
        var where = "PostgreSQL (ConnectionStrings:Cluster)";
        try
        {
            var csb = new NpgsqlConnectionStringBuilder(connectionString);
            where = $"PostgreSQL at {csb.Host}:{csb.Port} (ConnectionStrings:Cluster)";
            if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
            {
                csb.Timeout = ConnectSeconds;
            }

            var database = NpgsqlDataSource.Create(csb.ConnectionString);
            number = ClusterSchema.PrepareAsync(database, nodeId, address, CancellationToken.None).GetAwaiter().GetResult();
            return database;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
        {
            throw new InvalidOperationException($"cannot reach {where}: {ex.GetBaseException().Message}", ex);
        }
    }

    private static void CheckRedis(string connectionString)
    {
        try
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.ConnectTimeout = ConnectSeconds * 1000;
            options.AbortOnConnectFail = true;
            using var connection = ConnectionMultiplexer.Connect(options);
            connection.GetDatabase().Ping();
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot reach Redis at {connectionString} (ConnectionStrings:Redis): {ex.GetBaseException().Message}", ex);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NodeName();
}
