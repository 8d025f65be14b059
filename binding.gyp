{
  "targets": [
    {
      "target_name": "leasekeeper_transport",
      "sources": ["native/transport.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [["OS!='linux'", {"sources!": ["native/transport.cc"], "sources": ["native/unsupported.cc"]}]]
    }
  ]
}
