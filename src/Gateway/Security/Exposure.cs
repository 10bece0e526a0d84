using System.Net;

namespace Gateway.Security;

/// <summary>
/// Refuses to serve the API beyond this machine without keys: an address that is not loopback (or a
/// port setting, which binds every interface) with no <c>Gateway:Auth:Keys</c> stops start-up.
/// </summary>
internal static class Exposure
{
    public static void ThrowIfUnsafe(IConfiguration configuration)
    {
        if (configuration.GetSection("Gateway:Auth:Keys").GetChildren().Any())
        {
            return;
        }

        var exposed = Addresses(configuration).Where(a => !IsLoopback(a)).ToList();
        if (exposed.Count > 0)
        {
            throw new InvalidOperationException(
                $"The HTTP address {string.Join(", ", exposed)} is reachable from other machines, and no API key is configured. "
                + "Add one, e.g. --Gateway:Auth:Keys:0:Name=admin --Gateway:Auth:Keys:0:Role=admin --Gateway:Auth:Keys:0:Key=$(openssl rand -hex 24) "
                + "(or Gateway__Auth__Keys__0__Key=... in the environment), and allow the names clients use with AllowedHosts; "
                + "or bind to loopback (--urls http://127.0.0.1:5080).");
        }
    }

    /// <summary>The addresses the standard settings name; a port-only setting means every interface.</summary>
    private static IEnumerable<string> Addresses(IConfiguration configuration)
    {
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return url;
        }

        foreach (var key in new[] { "http_ports", "https_ports" })
        {
            if (!string.IsNullOrWhiteSpace(configuration[key]))
            {
                yield return $"*:{configuration[key]} ({key})";
            }
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { } url)
            {
                yield return url;
            }
        }
    }

    private static bool IsLoopback(string url) => ServerUrls.Parse(url) is { } endpoint && IPAddress.IsLoopback(endpoint.Address);
}
