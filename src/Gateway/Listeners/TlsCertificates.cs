using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Listeners;

internal static class TlsCertificates
{
    /// <summary>Loads a PKCS#12 file, or a PEM file holding the certificate and its private key.</summary>
    public static X509Certificate2 Load(string path, string? password)
    {
        if (!IsRegularFile(path))
        {
            // A FIFO or a device would block the read (or never end): only regular files are opened.
            throw new CryptographicException($"'{path}' is not a regular file.");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pem" or ".crt")
        {
            using var pem = string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(path)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, password);
    }

    /// <summary>Why a certificate file given as <paramref name="field"/> cannot be read, or null when it can.</summary>
    public static string? Problem(string field, string path) =>
        !File.Exists(path) ? $"{field}: certificate file '{path}' does not exist."
        : !IsRegularFile(path) ? $"{field}: '{path}' is not a regular file (a FIFO, device or directory is never read)."
        : null;

    /// <summary>Whether the path (links followed) is a regular file; where that cannot be told (not Linux), whether it exists.</summary>
    public static bool IsRegularFile(string path) =>
        UnixSocketFiles.Identify(path, followLinks: true) is { } file ? file.IsRegularFile : !OperatingSystem.IsLinux() && File.Exists(path);

    /// <summary>A fresh ECDSA P-256 server certificate for localhost, 127.0.0.1 and ::1, valid for a year.</summary>
    public static X509Certificate2 CreateSelfSigned(string listenerName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Socket Gateway listener {listenerName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>SHA-256 of the DER certificate as <c>AB:CD:…</c>, the form <c>openssl x509 -fingerprint -sha256</c> prints.</summary>
    public static string Fingerprint(X509Certificate certificate) =>
        string.Join(':', certificate.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));
}
