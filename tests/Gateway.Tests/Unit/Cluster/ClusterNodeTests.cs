using Gateway.Cluster;

namespace Gateway.Tests.Unit.Cluster;

public sealed class ClusterNodeTests
{
    [Fact]
    public void ASingleGateway_IssuesOneTwoThree_AsEver()
    {
        Assert.Equal([1L, 2, 3], new long[] { 1, 2, 3 }.Select(ClusterNode.Single.IdOf));
        Assert.Equal(3, ClusterNode.Single.LocalOf(3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(63)]
    public void EachNode_IssuesIdsOfItsOwn_WhoseRemainderNamesIt(int number)
    {
        var node = new ClusterNode($"n{number}", number, "127.0.0.1");
        var ids = Enumerable.Range(1, 1000).Select(local => node.IdOf(local)).ToList();
        Assert.All(ids, id => Assert.Equal(number, ClusterNode.OwnerOf(id)));
        Assert.Equal(Enumerable.Range(1, 1000).Select(l => (long)l), ids.Select(node.LocalOf));
        Assert.Equal(ids.Order(), ids); // issued in order
    }

    [Fact]
    public void NoTwoNodes_IssueTheSameId()
    {
        var issued = Enumerable.Range(1, ClusterNode.MaxNodes)
            .SelectMany(n => Enumerable.Range(1, 200).Select(local => new ClusterNode($"n{n}", n, "127.0.0.1").IdOf(local)))
            .ToList();
        Assert.Equal(issued.Count, issued.Distinct().Count());
    }
}
