namespace Gateway.Cluster;

/// <summary>One node's socket for a cluster listener.</summary>
/// <param name="Node">The node.</param>
/// <param name="State">listening, failed, stopped, or absent (the node does not have it).</param>
/// <param name="Address">The address it bound.</param>
/// <param name="Port">The port it bound.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record ListenerBinding(string Node, string State, string? Address, int Port, string? Error);
