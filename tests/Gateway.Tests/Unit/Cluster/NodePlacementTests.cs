using Gateway.Cluster;
using Gateway.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Gateway.Tests.Unit.Cluster;

/// <summary>A grain that tells which silo it lives on.</summary>
public interface IWhereGrain : IGrainWithStringKey
{
    Task<string> Silo();
}

/// <summary>Placed as the gateway places a node's grain.</summary>
[NodePlacement]
public sealed class WhereGrain(ILocalSiloDetails silo) : Grain, IWhereGrain
{
    public Task<string> Silo() => Task.FromResult(silo.Name);
}

/// <summary>The node placement on Orleans' in-process test cluster (two silos, in memory): a node's grain lives on the silo of its name, or nowhere.</summary>
public sealed class NodePlacementTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = new TestClusterBuilder(2).AddSiloBuilderConfigurator<Placement>().Build();
        await _cluster.DeployAsync().Within(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync().Within(TimeSpan.FromSeconds(60));
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task ANodesGrain_LivesOnTheSiloOfItsName()
    {
        var names = _cluster.Silos.Select(s => s.Name).ToList();
        Assert.Equal(2, names.Count);
        foreach (var name in names)
        {
            Assert.Equal(name, await _cluster.GrainFactory.GetGrain<IWhereGrain>(name).Silo().Within());
        }
    }

    [Fact]
    public async Task ANodeNotInTheCluster_FailsAtOnce_NamingIt()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _cluster.GrainFactory.GetGrain<IWhereGrain>("n9").Silo().Within());
        Assert.Contains("Node 'n9' is not in the cluster", error.GetBaseException().Message);
    }

    [Fact]
    public async Task ANodeThatLeft_HasNoGrain_AnyMore()
    {
        var secondary = _cluster.SecondarySilos[0];
        await _cluster.StopSiloAsync(secondary).Within(TimeSpan.FromSeconds(60));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _cluster.GrainFactory.GetGrain<IWhereGrain>(secondary.Name).Silo().Within());
        Assert.Contains($"Node '{secondary.Name}' is not in the cluster", error.GetBaseException().Message);
    }

    private sealed class Placement : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddNodePlacement();
    }
}
