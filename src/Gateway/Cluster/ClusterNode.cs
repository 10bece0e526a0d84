namespace Gateway.Cluster;

/// <summary>
/// Who this gateway is in its cluster: its name, its number and the address it advertises. Session ids are
/// made unique across the cluster without asking anyone: node number n issues n, n + 64, n + 128, … (so the
/// owner of any id is its remainder). A single gateway is number 0 of a "cluster" of one, with stride 1:
/// 1, 2, 3, as ever.
/// </summary>
internal sealed record ClusterNode(string? Id, int Number, string Address)
{
    /// <summary>Nodes a cluster may hold (numbers 1 to 63).</summary>
    public const int MaxNodes = 63;

    /// <summary>The distance between two ids one node issues.</summary>
    public const int ClusterStride = 64;

    public static readonly ClusterNode Single = new(null, 0, "127.0.0.1");

    public bool InCluster => Id is not null;

    public int Stride => InCluster ? ClusterStride : 1;

    /// <summary>The <paramref name="local"/>-th id this node issues (local counts from 1).</summary>
    public long IdOf(long local) => local * Stride + Number;

    /// <summary>Which local count an id of this node's is (the inverse of <see cref="IdOf"/>; ids of other nodes round down).</summary>
    public long LocalOf(long id) => id <= 0 ? 0 : (id - Number) / Stride;

    /// <summary>The number of the node that issued <paramref name="id"/>.</summary>
    public static int OwnerOf(long id) => (int)(id % ClusterStride);
}
