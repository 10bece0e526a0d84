using System.Text.Json;

namespace Gateway.Cluster;

/// <summary>What nodes send each other is the API's own JSON (camelCase, enums as strings).</summary>
internal static class ClusterJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        GatewayComposition.ConfigureJson(options);
        return options;
    }
}
