using System.Net;

namespace Gateway.Security;

/// <summary>What an HTTP server URL (<c>http://127.0.0.1:5080</c>, <c>http://*:80</c>, <c>http://localhost:5000</c>) binds.</summary>
internal static class ServerUrls
{
    /// <summary>
    /// The address and port: <c>*</c>, <c>+</c> and host names bind every interface (<see cref="IPAddress.Any"/>),
    /// <c>localhost</c> binds loopback. Null when the URL cannot be read.
    /// </summary>
    public static IPEndPoint? Parse(string url)
    {
        var readable = url.Replace("://*", "://any-host", StringComparison.Ordinal).Replace("://+", "://any-host", StringComparison.Ordinal);
        if (!Uri.TryCreate(readable, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var address = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip
            : uri.IsLoopback ? IPAddress.Loopback
            : IPAddress.Any;
        return new IPEndPoint(address, uri.Port);
    }
}
